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
USER node
CMD ["node", "--import", "tsx", "worker/main.ts"]
