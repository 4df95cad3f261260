# One api node. The same image serves embedded (no settings) and scaled
# (DATABASE_URL + REDIS_URL) mode.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts ./
# Dev dependencies build the web client; Node runs the TypeScript sources
# itself (type stripping), so they are pruned after the build.
RUN npm ci --include=dev --no-audit --no-fund
COPY . .
RUN npm run prisma:generate && npm run build:web && npm prune --omit=dev --no-audit --no-fund
EXPOSE 4000
# SIGTERM -> graceful stop: /readyz 503, in-flight commits finish, sockets closed with 1012.
STOPSIGNAL SIGTERM
# Node's flags as `npm start` gives them (package.json): V8's young generation
# capped at 2 x 32 MiB instead of Node 24's 2 x 64, ~60 MiB less resident
# under load at no cost measured in throughput (bench/README, "Memory").
CMD ["node", "--max-semi-space-size=32", "api/src/main.ts"]
