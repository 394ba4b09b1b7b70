# Lore API / worker image: the same workspace, run from source with tsx (no build step).
FROM node:20-bookworm-slim
WORKDIR /app
RUN npm install -g pnpm@10
COPY pnpm-workspace.yaml pnpm-lock.yaml package.json ./
COPY apps/api/package.json apps/api/
COPY apps/cli/package.json apps/cli/
COPY apps/worker/package.json apps/worker/
COPY packages/config/package.json packages/config/
COPY packages/core/package.json packages/core/
COPY packages/db/package.json packages/db/
COPY packages/providers/package.json packages/providers/
COPY fixtures/fake-openai/package.json fixtures/fake-openai/
RUN pnpm install --frozen-lockfile
COPY . .
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
EXPOSE 3000
ENTRYPOINT ["pnpm", "--silent", "lore"]
CMD ["serve"]
