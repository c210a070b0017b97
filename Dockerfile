# Herald's production image: the worker by default; the API with `npx tsx src/api/server.ts`.
# TypeScript runs through tsx (a runtime dependency), so the only build step is the operator console's bundle.
FROM node:20-bookworm-slim AS console
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY console ./console
COPY src/domain ./src/domain
COPY scripts/build-console.mjs ./scripts/
RUN node scripts/build-console.mjs --force

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY src ./src
COPY --from=console /app/console/dist ./console/dist
COPY console/public ./console/public
USER node
EXPOSE 3000
CMD ["npx", "tsx", "src/worker.ts"]
