# syntax=docker/dockerfile:1
# The demo agents of `docker compose --profile demo` (scripts/deploy/demoAgents.ts). Build from the
# repository root: docker build -f infra/compose/demo-agents.Dockerfile -t agentbus/demo-agents .
ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS manifests
WORKDIR /src
COPY . .
RUN find . -name node_modules -prune -o \( -name package.json -o -name package-lock.json \) -print \
      | xargs -I{} sh -c 'mkdir -p /manifests/$(dirname {}) && cp {} /manifests/{}'

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
RUN npx tsx scripts/deploy/bundle.ts demo-agents

FROM node:${NODE_VERSION}-alpine AS runtime
# npm, corepack and yarn only build things; the runtime needs node alone.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
ENV NODE_ENV=production LOG_FORMAT=json AGENTBUS_SCHEMAS_DIR=/app/schemas DEMO_HTTP_PORT=9409
WORKDIR /app
COPY --from=build /src/schemas/ ./schemas/
COPY --from=build /src/dist/demo-agents/ ./
USER 1000:1000
EXPOSE 9409
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "require('http').get('http://127.0.0.1:'+process.env.DEMO_HTTP_PORT+'/health',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"
CMD ["node", "--enable-source-maps", "main.js"]
