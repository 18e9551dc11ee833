# durable-unsubscribe: build once, run the built service without dev dependencies, as a
# non-root user, its data on a volume. TLS is terminated in front (docs/operations.md).

# --- build: compile TypeScript, then drop dev dependencies ---------------------------------
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary matches.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# --- run -------------------------------------------------------------------------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=8080 \
    DATA_DIR=/var/lib/durable-unsubscribe
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json LICENSE CHANGELOG.md ./
COPY wsdl ./wsdl
# The image's "node" user (uid 1000) owns the data directory and nothing else.
RUN mkdir -p /var/lib/durable-unsubscribe \
 && chown node:node /var/lib/durable-unsubscribe \
 && chmod 0700 /var/lib/durable-unsubscribe
USER node
VOLUME ["/var/lib/durable-unsubscribe"]
EXPOSE 8080
# The service finishes in-flight calls on SIGTERM, then exits: within 15 s, or 20 s with
# WORKERS > 1 (run it with --stop-timeout 25: Docker's own 10 s would cut the drain short).
STOPSIGNAL SIGTERM
# Asks the address the service listens on (HOST): loopback when that is every interface
# (0.0.0.0, ::, empty); one specific address is not reachable as 127.0.0.1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "const h=(process.env.HOST||'').trim(),a=h===''||h==='0.0.0.0'?'127.0.0.1':h==='::'?'::1':h;fetch('http://'+(a.includes(':')?'['+a+']':a)+':'+(process.env.PORT||8080)+'/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# node itself is process 1's child-free main process: signals reach it directly.
ENTRYPOINT ["node", "--max-semi-space-size=8", "dist/src/cli/index.js"]
CMD ["serve"]
