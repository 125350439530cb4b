import { createHash, timingSafeEqual } from 'node:crypto';
import { GrammyError } from 'grammy';
import { Hono } from 'hono';
import { dataDirOf } from '../../audio/file.js';
import { broadcastRate, outboxLimit } from '../../broadcast/channels.js';
import type { HttpRoute } from '../../http/server.js';
import { PRIORITY } from '../../outbox/contract.js';
import { OutboxSender } from '../../outbox/sender.js';
import type { App } from '../../runtime/app.js';
import { isStoreError } from '../../store/fault.js';
import { ChannelStartError, type RunningChannel } from '../channel.js';
import {
  chatOfUpdate,
  connectStaffInbox,
  createTelegramBot,
  createUpdateHandler,
  registerCommands,
  TELEGRAM_CHANNEL,
} from './bot.js';
import { telegramOutboxBroadcast } from './broadcast.js';
import { Poller } from './poll.js';
import { registerProfile } from './profile.js';
import { TelegramTransport } from './transport.js';
import { telegramVoiceSender } from './voice.js';

/** my_chat_member tells when a user blocks the bot, so their data can be deleted. */
const ALLOWED_UPDATES = ['message', 'edited_message', 'callback_query', 'my_chat_member'] as const;

export type TelegramChannel = RunningChannel & { routes: HttpRoute[]; sender: OutboxSender };

/**
 * Starts Telegram: the outbox sender (what an earlier run left is sent first), then long
 * polling by default, or a webhook route on the shared HTTP server when TELEGRAM_WEBHOOK_URL is set.
 */
export async function startTelegram(app: App): Promise<TelegramChannel> {
  const { config, log } = app;
  const token = config.TELEGRAM_BOT_TOKEN!;
  const bot = createTelegramBot({ token, apiRoot: config.TELEGRAM_API_ROOT });
  try {
    await bot.init(
      AbortSignal.timeout(config.STARTUP_TIMEOUT_S * 1000) as unknown as Parameters<typeof bot.init>[0],
    );
  } catch (e) {
    const why =
      e instanceof GrammyError && e.error_code === 401
        ? 'Telegram did not accept the bot token (401 Unauthorized). Check TELEGRAM_BOT_TOKEN.'
        : `Telegram did not answer getMe within ${config.STARTUP_TIMEOUT_S} s (${e instanceof Error ? e.message : String(e)}). Check the network and TELEGRAM_BOT_TOKEN.`;
    throw new ChannelStartError(why);
  }
  log.info({ username: bot.botInfo.username }, 'telegram bot ready');
  const rate = broadcastRate(config, TELEGRAM_CHANNEL);
  const perSecond = outboxLimit(config.OUTBOX_TELEGRAM_PER_S, rate);
  if (perSecond > config.OUTBOX_TELEGRAM_PER_S)
    log.warn(
      { code: 'telegram.broadcast_rate', rate, perSecond },
      'telegram: BROADCAST_RATE is above 80 % of OUTBOX_TELEGRAM_PER_S; the outbox sends up to BROADCAST_RATE / 0.8 a second so replies keep a fifth. Above 30 a second Telegram needs paid broadcasts.',
    );
  // The command menu and the first screen's texts, in each language; neither blocks the start.
  void registerCommands(bot, app).then(() => registerProfile(bot, app));

  let resolveFailure!: (reason: string) => void;
  const failure = new Promise<string>((r) => {
    resolveFailure = r;
  });
  const sendVoice = telegramVoiceSender({
    uploads: app.store,
    dataDir: dataDirOf(config.paths.root),
    log,
  });
  const botId = bot.botInfo.id;
  const sender = new OutboxSender({
    channel: TELEGRAM_CHANNEL,
    store: app.store.outbox,
    seal: app.bot.seal,
    storeNow: app.bot.clock,
    transport: new TelegramTransport(bot.api, (api, chat, ref) => sendVoice(api, botId, chat, ref)),
    log,
    replying: () => app.priority.replying(TELEGRAM_CHANNEL),
    limits: {
      perSecond,
      perChatPerSecond: config.OUTBOX_PER_CHAT_PER_S,
      retryForMs: config.OUTBOX_RETRY_H * 3600_000,
    },
    hooks: {
      sent: (row, ids) => {
        if (ids.length && row.priority !== PRIORITY.broadcast)
          app.metrics.repliesSent.inc({ channel: TELEGRAM_CHANNEL });
        return app.store.outbox.markSent(row.id, row.userKey, ids);
      },
      blocked: (key) => app.bot.forgetKey(TELEGRAM_CHANNEL, key),
      fatal: () =>
        resolveFailure('Telegram refused the bot token (401 Unauthorized): check TELEGRAM_BOT_TOKEN'),
      failed: (channel, reason) => app.metrics.sendFailures.inc({ channel, reason }),
    },
  });
  app.bot.wakers.set(TELEGRAM_CHANNEL, (key, appended) => sender.wake(key, appended));
  sender.start();
  const broadcast = telegramOutboxBroadcast(
    () => app.bot.current.ctx.t,
    rate,
    (key) => sender.wake(key),
  );
  const handle = createUpdateHandler(
    app,
    bot.api,
    connectStaffInbox(bot.api, app, { token, apiRoot: config.TELEGRAM_API_ROOT }),
    (key) => sender.drained(key),
  );

  if (config.TELEGRAM_WEBHOOK_URL) {
    const url = new URL(config.TELEGRAM_WEBHOOK_URL);
    // Telegram sends this secret with every call; without it, anyone could post fake updates.
    const secret =
      config.TELEGRAM_WEBHOOK_SECRET ??
      createHash('sha256').update(`webhook:${token}`).digest('hex').slice(0, 64);
    const route = telegramWebhook(app, handle, secret);
    await bot.api.setWebhook(url.href, { secret_token: secret, allowed_updates: [...ALLOWED_UPDATES] });
    log.info({ path: url.pathname }, 'telegram webhook set');
    return {
      name: TELEGRAM_CHANNEL,
      routes: [{ path: url.pathname, app: route }],
      sender,
      broadcastOutbox: broadcast,
      state: () => 'webhook',
      up: () => true,
      failure,
      stop: async (graceMs = 0) => {
        app.bot.wakers.delete(TELEGRAM_CHANNEL);
        await sender.stop(graceMs);
      },
    };
  }

  await bot.api.deleteWebhook().catch((e) => log.warn({ err: String(e) }, 'deleteWebhook failed'));
  const poller = new Poller(bot.api, handle, chatOfUpdate, log, { allowedUpdates: ALLOWED_UPDATES });
  poller.start();
  void poller.failure.then(resolveFailure);
  log.info('telegram long polling');
  return {
    name: TELEGRAM_CHANNEL,
    routes: [],
    sender,
    broadcastOutbox: broadcast,
    state: () => poller.state,
    up: () => poller.state === 'polling' || poller.state === 'starting',
    failure,
    stop: async (graceMs = 0) => {
      await poller.stop();
      app.bot.wakers.delete(TELEGRAM_CHANNEL);
      await sender.stop(graceMs);
    },
  };
}

/**
 * The webhook: the secret checked, the body parsed (400 at once when it is not JSON), the turn
 * committed, then 200. Sending happens from the outbox, so a slow Bot API never holds the answer.
 * A store that cannot commit answers 503, and Telegram delivers the update again later.
 */
export function telegramWebhook(app: App, handle: (update: unknown) => Promise<void>, secret: string): Hono {
  const expected = Buffer.from(secret);
  const route = new Hono();
  route.post('/', async (c) => {
    const given = Buffer.from(c.req.header('x-telegram-bot-api-secret-token') ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return c.text('Unauthorized', 401);
    let update: unknown;
    try {
      update = JSON.parse(await c.req.text());
    } catch {
      return c.text('Bad Request', 400);
    }
    try {
      await handle(update);
    } catch (e) {
      if (isStoreError(e)) return c.text('Service Unavailable', 503);
      // The update itself is at fault: Telegram would only send it again.
      log(app, e);
    }
    return c.json({ ok: true });
  });
  return route;
}

function log(app: App, e: unknown): void {
  app.log.error(
    { code: 'telegram.update', err: e instanceof Error ? e.message : String(e) },
    'update failed',
  );
}
