# syntax=docker/dockerfile:1
#
# backend-event: production image.
#   docker build -t aquastream/backend-event:dev .
# Stage "build" installs the workspace and runs `pnpm bundle`, which writes build/bundle/ (server.mjs,
# cli.mjs, package.json and production-only node_modules). The runtime stage holds that folder, Node
# and tini; it runs as the unprivileged "node" user (uid 1000).
#   service:    docker run -p 8080:8080 -p 9090:9090 -e DATABASE_URL=... aquastream/backend-event
#   migrations: docker run -e DATABASE_URL=... aquastream/backend-event node cli.mjs migrate

# Node 24 LTS. CI may pin the exact release, e.g. --build-arg NODE_VERSION=24.11.1.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
ENV PNPM_HOME=/pnpm CI=true
ENV PATH=$PNPM_HOME:$PATH
RUN npm install --global --no-fund --no-audit pnpm@10.20.0
WORKDIR /src
# Dependencies first, keyed on the lockfile only, so that source changes reuse this layer.
COPY pnpm-lock.yaml pnpm-workspace.yaml .npmr[c] ./
# Patches of dependencies (pnpm-workspace.yaml, patchedDependencies) are part of the lockfile's state.
COPY patches/ ./patches/
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm config set store-dir /pnpm/store && pnpm fetch
COPY . .
RUN --mount=type=cache,id=pnpm-store,target=/pnpm/store \
    pnpm install --offline --frozen-lockfile && pnpm run bundle && test -f build/bundle/server.mjs && test -f build/bundle/cli.mjs

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# The release (packages/app/package.json; CI passes it): release-identity.test.ts keeps this default equal.
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="backend-event" \
      org.opencontainers.image.description="AquaStream event and booking service" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/aquastream/backend-event"
# tini as PID 1 forwards SIGTERM to Node (which drains and exits) and reaps zombies. npm, npx,
# corepack and yarn are not needed at run time: removing them saves ~20 MB and their CVEs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends tini=0.19.0-1+b3 \
    && rm -rf /var/lib/apt/lists/* \
    && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
              /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
              /opt/yarn-* /usr/local/bin/yarn /usr/local/bin/yarnpkg \
    && mkdir -p /app/data && chown node:node /app/data
# Heap caps for a 256 MiB container (pnpm bench: RSS ~135-160 MB under load instead of ~270-330
# MB); the Helm chart derives its own from resources.limits.memory. Semi-spaces of 4 MiB instead of
# 8: 8 MB less RSS at readiness and 5-10 MB less under load, for twice as many scavenges that
# cost ~0.3 us more GC pause per hot read (~1 % of its CPU; docs/operations.md, Resources).
# MALLOC_ARENA_MAX=2: glibc gives each of Node's threads (V8's platform workers, libuv's pool) an
# arena of its own, up to 8 per core, and keeps what they freed; two arenas hold ~10 MB less RSS
# under load at the same CPU per request (pnpm bench, flash sale 182 -> 173 MB, mixed 189 -> 178 MB).
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-old-space-size=160 --max-semi-space-size=4" \
    MALLOC_ARENA_MAX=2 \
    PORT=8080 \
    GRPC_PORT=9090 \
    DATA_DIR=/app/data
WORKDIR /app
# Owned by root and read-only for the service user.
COPY --from=build /src/build/bundle/ ./
USER 1000:1000
EXPOSE 8080 9090
# For plain Docker; Kubernetes uses the chart's probes instead.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/actuator/health/liveness').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "server.mjs"]
