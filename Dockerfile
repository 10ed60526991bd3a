# The tiem-clone worker image. Workflows are bundled at start; activities call the host's tiup.
FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ openssh-client ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY domain domain
COPY workflows workflows
COPY activities activities
COPY adapters adapters
COPY metadata metadata
COPY security security
COPY worker worker
COPY client client
COPY api api
COPY bin bin
COPY scripts/setup-temporal-namespace.ts scripts/
# The data volume is created from this folder, so the non-root user can write it.
RUN mkdir -p /var/lib/tiem && chown node:node /var/lib/tiem
USER node
CMD ["node", "--import", "tsx", "worker/main.ts"]
