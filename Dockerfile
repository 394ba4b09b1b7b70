# Lore API / worker image: the same workspace, run from source with tsx (no build step).
FROM node:20-bookworm-slim
WORKDIR /app
RUN npm install -g pnpm@10
# Every workspace package's manifest is needed to install, so the whole tree is copied first.
COPY . .
RUN pnpm install --frozen-lockfile
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
EXPOSE 3000
ENTRYPOINT ["pnpm", "--silent", "lore"]
CMD ["serve"]
