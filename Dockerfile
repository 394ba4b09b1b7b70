# Lore API / worker image: the whole workspace; `pnpm install` also bundles the CLI (apps/cli/dist).
FROM node:20-bookworm-slim
WORKDIR /app
RUN npm install -g pnpm@10
# Every workspace package's manifest is needed to install, so the whole tree is copied first.
COPY . .
# Production dependencies only: no Biome, TypeScript, vitest or playwright in the image.
RUN pnpm install --frozen-lockfile --prod
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
EXPOSE 3000
# Node itself, not pnpm, is PID 1: it starts faster and receives SIGTERM directly.
ENTRYPOINT ["node", "apps/cli/bin/lore.mjs"]
CMD ["serve"]
