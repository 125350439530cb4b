import type { Logger } from 'pino';
import { startBroadcasts } from './broadcast/run.js';
import type { RunningChannel } from './channels/channel.js';
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
  if (config.TELEGRAM_BOT_TOKEN) {
    const { startTelegram } = await import('./channels/telegram/run.js');
    channels.push(await startTelegram(app));
  }
  const routes: HttpRoute[] = [];
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
  const broadcasts = startBroadcasts(app, channels);
  let http: HttpServer | undefined;
  if (routes.length) {
    const { startHttpServer } = await import('./http/server.js');
    http = await startHttpServer({ port: config.HTTP_PORT, host: config.HTTP_HOST, routes, log: app.log });
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    if (channels.length) app.log.info({ signal }, 'shutting down');
    // No new webhook calls first, then the channels finish what they hold.
    await http?.close();
    await broadcasts?.stop();
    await Promise.allSettled(channels.map((c) => c.stop()));
    await watcher?.close();
    await app.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  if (!channels.length) {
    await runInteractiveChat(app.bot, { user: 'console' }, process.stdin, process.stdout);
    await shutdown('end of input');
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
