# Herald's production image: the compiled worker by default (`node dist/worker.js`); the API with
# `node dist/api/server.js`; accounts with `node dist/cli/account.js create "<name>"`. The build stage compiles
# src/ with tsc, prebuilds the workflow bundle (dist/workflow-bundle.js) and the operator console; the image
# runs plain JavaScript on production dependencies only (no tsx, no TypeScript, no bundling at start).
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY console ./console
COPY src ./src
COPY scripts ./scripts
RUN node scripts/build-console.mjs --force && node scripts/build.mjs

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/console/dist ./console/dist
COPY console/public ./console/public
USER node
EXPOSE 3000
# As package.json's worker script: fewer malloc arenas, a smaller young generation and a heap that grows by 30 %
# past what a full collection left, so the worker's memory stays near what it uses (see README, Performance).
ENV MALLOC_ARENA_MAX=2
CMD ["node", "--max-semi-space-size=8", "--heap-growing-percent=30", "dist/worker.js"]
