# Puente in a container: Debian with Node.js, and Debian's Chromium for WhatsApp Web.
#   docker build -t puente .
#   docker compose up -d        (compose.yaml; settings in .env)
# The bot runs as a user without privileges and writes only /app/data/runtime, a volume.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
# better-sqlite3 is compiled from source when no prebuilt binary can be downloaded.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# .puppeteerrc.cjs comes first: installing never downloads a browser.
COPY package.json package-lock.json .puppeteerrc.cjs ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
RUN node scripts/build.mjs

FROM node:${NODE_VERSION}-bookworm-slim
# Chromium drives WhatsApp Web (fonts so its pages render); tini reaps Chromium's processes.
RUN apt-get update \
  && apt-get install -y --no-install-recommends chromium fonts-liberation tini ca-certificates \
  && rm -rf /var/lib/apt/lists/* \
  && useradd --system --create-home --home-dir /home/puente --shell /usr/sbin/nologin puente
# Servers listen on every interface of the container; publish their ports on the host's loopback.
ENV NODE_ENV=production \
    CHROME_PATH=/usr/bin/chromium \
    HTTP_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app /app
RUN mkdir -p /app/data/runtime && chown puente:puente /app/data/runtime
USER puente
VOLUME ["/app/data/runtime"]
# The webhook server (WhatsApp Cloud API), the Telegram webhook (when TELEGRAM_WEBHOOK_URL is set), the studio.
EXPOSE 3000 8080
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--enable-source-maps", "dist/main.js"]
