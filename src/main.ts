import { fstatSync } from 'node:fs';
import type { Logger } from 'pino';
import { startBroadcasts } from './broadcast/run.js';
import { ChannelStartError, type RunningChannel } from './channels/channel.js';
import { runInteractiveChat } from './channels/console.js';
import { fail } from './cli/shared.js';
import { type Config, cloudApiEnabled, loadConfig } from './config/env.js';
import type { HttpRoute, HttpServer } from './http/server.js';
import { openApp } from './runtime/app.js';
import { contentSettings } from './runtime/content.js';
import { watchContent } from './runtime/reload.js';

/** `npm start`: the configured channels, or the console chat when none is configured. */
async function main(): Promise<void> {
  const config = loadConfig();
  const noChannel = !config.TELEGRAM_BOT_TOKEN && !cloudApiEnabled(config) && !config.WHATSAPP_ENABLED;
  if (noChannel && !consoleInput()) {
    process.stderr.write(
      'No channel is configured (TELEGRAM_BOT_TOKEN, WHATSAPP_ENABLED or WHATSAPP_CLOUD_TOKEN) and there is no terminal for the console chat. See "Configuration" in the README.\n',
    );
    process.exit(1);
  }
  const app = await openApp(config);
  warnSingleInstance(config, app.log);
  // A page script of WhatsApp Web can reject without a handler; log it and keep serving.
  process.on('unhandledRejection', (reason) => {
    app.log.error(
      { code: 'unhandled_rejection', reason: reason instanceof Error ? reason.message : String(reason) },
      'unhandled rejection',
    );
  });
  const watcher = config.HOT_RELOAD
    ? watchContent(app.bot, app.store, config.paths, contentSettings(config), app.log)
    : undefined;
  const channels: RunningChannel[] = [];
  const routes: HttpRoute[] = [];
  let broadcasts: ReturnType<typeof startBroadcasts> | undefined;
  let http: HttpServer | undefined;
  let stopping = false;
  const shutdown = async (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    if (channels.length) app.log.info({ signal }, 'shutting down');
    // No new updates first (webhooks, polling); turns in flight commit; then the outboxes send
    // for up to SHUTDOWN_GRACE_S, and what is left goes at the next start.
    await http?.close();
    await broadcasts?.stop();
    await Promise.allSettled(channels.map((c) => c.stop(config.SHUTDOWN_GRACE_S * 1000)));
    await watcher?.close();
    await app.close();
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  const supervise = (channel: RunningChannel) => {
    void channel.failure?.then((reason) => {
      process.stderr.write(`${channel.name}: ${reason}\n`);
      app.log.fatal({ code: 'channel.failed', channel: channel.name, reason }, 'a channel stopped');
      void shutdown('channel failure', 1);
    });
  };
  try {
    if (config.TELEGRAM_BOT_TOKEN) {
      const { startTelegram } = await import('./channels/telegram/run.js');
      const telegram = await startTelegram(app);
      channels.push(telegram);
      routes.push(...telegram.routes);
    }
    if (cloudApiEnabled(config)) {
      const { startWhatsAppCloud } = await import('./channels/whatsapp-cloud/run.js');
      const cloud = await startWhatsAppCloud(app);
      channels.push(cloud.channel);
      routes.push(...cloud.routes);
    }
    if (config.WHATSAPP_ENABLED) {
      const { startWhatsApp } = await import('./channels/whatsapp/run.js');
      const whatsapp = await startWhatsApp(app);
      if (whatsapp) channels.push(whatsapp);
      else if (!channels.length) {
        await app.close();
        process.exit(1);
      }
    }
  } catch (e) {
    if (e instanceof ChannelStartError) {
      process.stderr.write(`${e.message}\n`);
      await Promise.allSettled(channels.map((c) => c.stop(0)));
      await app.close();
      process.exit(1);
    }
    throw e;
  }
  for (const c of channels) supervise(c);
  broadcasts = startBroadcasts(app, channels);
  if (routes.length || config.httpPortSet) {
    const { startHttpServer } = await import('./http/server.js');
    const { healthRoutes } = await import('./http/health.js');
    routes.push({ path: '/', app: healthRoutes(app, () => channels) });
    http = await startHttpServer({ port: config.HTTP_PORT, host: config.HTTP_HOST, routes, log: app.log });
    // For tests and scripts that start the bot on port 0.
    if (config.HTTP_PORT === 0) process.stdout.write(`http listening on ${http.url}\n`);
    if (config.TELEGRAM_BOT_TOKEN && config.TELEGRAM_WEBHOOK_URL)
      app.log.info(
        { port: http.port, path: new URL(config.TELEGRAM_WEBHOOK_URL).pathname },
        'telegram webhook listening',
      );
  }
  if (!channels.length) {
    await runInteractiveChat(app.bot, { user: 'console' }, process.stdin, process.stdout);
    await shutdown('end of input');
  }
}

/**
 * Whether someone can chat on the console: a terminal, or a pipe or file a script feeds. A
 * service's stdin (/dev/null, or none) is neither, and a bot without channels would idle there.
 */
function consoleInput(): boolean {
  if (process.stdin.isTTY) return true;
  try {
    const s = fstatSync(0);
    return s.isFIFO() || s.isFile() || s.isSocket();
  } catch {
    return false;
  }
}

/**
 * A shared database lets several instances serve webhooks; long polling and WhatsApp Web cannot
 * be shared (Telegram answers 409 to a second poller, a WhatsApp Web session lives in one browser).
 */
function warnSingleInstance(config: Config, log: Logger): void {
  if (!config.DATABASE_URL) return;
  const single = [
    ...(config.TELEGRAM_BOT_TOKEN && !config.TELEGRAM_WEBHOOK_URL ? ['Telegram long polling'] : []),
    ...(config.WHATSAPP_ENABLED ? ['WhatsApp Web'] : []),
  ];
  if (single.length)
    log.warn(
      { code: 'store.single_instance', channels: single },
      `DATABASE_URL is set, but ${single.join(' and ')} can run in one instance only: run a single instance, or use Telegram webhooks (TELEGRAM_WEBHOOK_URL) and the WhatsApp Cloud API to run several`,
    );
  if (!config.USER_KEY_SECRET && !config.USER_KEY_SALT)
    log.warn(
      { code: 'store.key_file', file: config.SECRET_KEY_FILE },
      'DATABASE_URL is set without USER_KEY_SECRET: every instance must share the same key file, or set the same USER_KEY_SECRET on each',
    );
}

main().catch(fail);
