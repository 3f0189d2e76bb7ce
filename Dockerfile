# One image for every driftloop service; the command picks the service:
#   docker run driftloop run ingest
FROM node:20-bookworm AS build
# node-rdkafka builds librdkafka from source.
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential python3 libssl-dev zlib1g-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# chDB (the embedded ClickHouse, ~540 MB) is optional: containers talk to a ClickHouse server.
RUN npm ci --no-audit --no-fund && rm -rf node_modules/chdb node_modules/@chdb
COPY . .

FROM node:20-bookworm-slim AS runtime
# The commit the image is built from: runs record it as their code version
# (.git is not in the build context). docker build --build-arg DRIFTLOOP_CODE_VERSION=$(git rev-parse HEAD) .
ARG DRIFTLOOP_CODE_VERSION=unknown
# TORCH=cpu adds Debian's PyTorch (CPU, ~1 GB) for the reference trainer
# (trainer: torch-mlp); the trainer service's image sets it. GPU trainers run on
# GPU nodes with the image of infra/trainers/Dockerfile (README "Trainers on GPU nodes").
ARG TORCH=none
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 zlib1g ca-certificates \
 && if [ "$TORCH" = cpu ]; then apt-get install -y --no-install-recommends python3-torch; fi \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app /app
# /data is where volumes mount (chDB, artifacts, snapshots): owned by the user the services run as, so a fresh volume is writable.
RUN mkdir -p /data && chown node:node /data
# Every rdkafka consumer holds a libuv thread while it waits; ClickHouse I/O needs them too (services/cli/bin.cjs).
ENV NODE_ENV=production HTTP_HOST=0.0.0.0 HTTP_PORT=8080 UV_THREADPOOL_SIZE=32 DRIFTLOOP_CODE_VERSION=$DRIFTLOOP_CODE_VERSION
EXPOSE 8080
USER node
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:8080/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "--import", "tsx", "services/cli/main.ts"]
CMD ["up"]

# The trainer for GPU nodes: PyTorch with CUDA, and Node with the same app.
#   docker build --target trainer-gpu -t driftloop-trainer-gpu .
FROM pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime AS trainer-gpu
ARG DRIFTLOOP_CODE_VERSION=unknown
COPY --from=build /usr/local/bin/node /usr/local/bin/node
COPY --from=build /app /app
WORKDIR /app
ENV NODE_ENV=production HTTP_HOST=0.0.0.0 HTTP_PORT=8080 TRAINER_PYTHON=python3 UV_THREADPOOL_SIZE=32 DRIFTLOOP_CODE_VERSION=$DRIFTLOOP_CODE_VERSION
EXPOSE 8080
ENTRYPOINT ["node", "--import", "tsx", "services/cli/main.ts"]
CMD ["run", "trainer"]

# The default image: every service (the last stage is what `docker build .` makes).
FROM runtime
