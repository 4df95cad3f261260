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
CMD ["node", "api/src/main.ts"]
