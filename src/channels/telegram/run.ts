import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { type RunnerHandle, run } from '@grammyjs/runner';
import { webhookCallback } from 'grammy';
import { broadcastRate } from '../../broadcast/channels.js';
import type { App } from '../../runtime/app.js';
import type { RunningChannel } from '../channel.js';
import { createTelegramBot, registerCommands, TELEGRAM_CHANNEL } from './bot.js';
import { telegramBroadcastSender } from './broadcast.js';
import { registerProfile } from './profile.js';

/** my_chat_member tells when a user blocks the bot, so their data can be deleted. */
const ALLOWED_UPDATES = ['message', 'edited_message', 'callback_query', 'my_chat_member'] as const;

/** Starts Telegram: long polling by default, a webhook server when TELEGRAM_WEBHOOK_URL is set. */
export async function startTelegram(app: App): Promise<RunningChannel> {
  const { config, log } = app;
  const token = config.TELEGRAM_BOT_TOKEN!;
  const bot = createTelegramBot(app, { token, apiRoot: config.TELEGRAM_API_ROOT });
  try {
    await bot.init();
  } catch (e) {
    throw new Error(
      `Telegram did not accept the bot token (getMe failed: ${e instanceof Error ? e.message : String(e)}). Check TELEGRAM_BOT_TOKEN.`,
    );
  }
  log.info({ username: bot.botInfo.username }, 'telegram bot ready');
  const broadcast = telegramBroadcastSender(
    bot.api,
    () => app.bot.current.ctx.t,
    broadcastRate(config, TELEGRAM_CHANNEL),
  );
  // The command menu and the first screen's texts, in each language; neither blocks the start.
  void registerCommands(bot, app).then(() => registerProfile(bot, app));

  if (config.TELEGRAM_WEBHOOK_URL) {
    const url = new URL(config.TELEGRAM_WEBHOOK_URL);
    // Telegram sends this secret with every call; without it, anyone could post fake updates.
    const secret =
      config.TELEGRAM_WEBHOOK_SECRET ??
      createHash('sha256').update(`webhook:${token}`).digest('hex').slice(0, 64);
    const handle = webhookCallback(bot, 'http', { secretToken: secret });
    const server: Server = createServer((req, res) => {
      if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== url.pathname) {
        res.writeHead(404).end();
        return;
      }
      void handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(config.TELEGRAM_WEBHOOK_PORT, resolve));
    await bot.api.setWebhook(url.href, { secret_token: secret, allowed_updates: [...ALLOWED_UPDATES] });
    // Port 0 picks a free port: the log says which.
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.TELEGRAM_WEBHOOK_PORT;
    log.info({ port, path: url.pathname }, 'telegram webhook listening');
    return {
      name: 'telegram',
      broadcast,
      stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  await bot.api.deleteWebhook().catch((e) => log.warn({ err: String(e) }, 'deleteWebhook failed'));
  const runner: RunnerHandle = run(bot, { runner: { fetch: { allowed_updates: [...ALLOWED_UPDATES] } } });
  log.info('telegram long polling');
  return {
    name: 'telegram',
    broadcast,
    stop: async () => {
      if (runner.isRunning()) await runner.stop();
    },
  };
}
