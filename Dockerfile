# One api node. The same image serves embedded (no settings) and scaled
# (DATABASE_URL + REDIS_URL) mode.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY prisma ./prisma
COPY prisma.config.ts ./
# Dev dependencies are needed at start (tsx runs the TypeScript sources).
RUN npm ci --include=dev --no-audit --no-fund
COPY . .
RUN npm run prisma:generate && (npm run --if-present build:web || true)
EXPOSE 4000
# SIGTERM -> graceful stop: /readyz 503, in-flight commits finish, sockets closed with 1012.
STOPSIGNAL SIGTERM
CMD ["node", "--import", "tsx", "api/src/main.ts"]
