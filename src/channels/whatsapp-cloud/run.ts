import { dataDirOf } from '../../audio/file.js';
import type { Config } from '../../config/env.js';
import type { HttpRoute } from '../../http/server.js';
import { commonText } from '../../i18n/keys.js';
import { PRIORITY } from '../../outbox/contract.js';
import type { App } from '../../runtime/app.js';
import type { RunningChannel } from '../channel.js';
import { cloudOutboxBroadcast } from './broadcast.js';
import { CloudChannel, type CloudChannelOptions, WHATSAPP_CLOUD_CHANNEL } from './channel.js';
import { buildTemplateMessage } from './templates.js';
import { windowOpen } from './window.js';

/** The webhook's path on the shared HTTP server: the URL to give Meta is https://<host>/whatsapp. */
export const WEBHOOK_PATH = '/whatsapp';

export function cloudSettings(config: Config): CloudChannelOptions['settings'] {
  return {
    token: config.WHATSAPP_CLOUD_TOKEN!,
    phoneNumberId: config.WHATSAPP_CLOUD_PHONE_NUMBER_ID!,
    appSecret: config.WHATSAPP_CLOUD_APP_SECRET!,
    verifyToken: config.WHATSAPP_CLOUD_VERIFY_TOKEN!,
    apiRoot: config.WHATSAPP_CLOUD_API_ROOT,
    apiVersion: config.WHATSAPP_CLOUD_API_VERSION,
  };
}

/**
 * Starts the Cloud API channel: checks the token (a refusal is logged and turns the health red,
 * but the webhook still takes messages in) and gives the HTTP server its webhook route.
 */
export async function startWhatsAppCloud(
  app: App,
  options: Partial<Omit<CloudChannelOptions, 'settings'>> = {},
): Promise<{ channel: RunningChannel; cloud: CloudChannel; routes: HttpRoute[] }> {
  const { config, metrics } = app;
  const cloud = new CloudChannel(app.bot, app.log, {
    priority: app.priority,
    dataDir: dataDirOf(config.paths.root),
    limits: {
      perChatPerSecond: config.OUTBOX_PER_CHAT_PER_S,
      retryForMs: config.OUTBOX_RETRY_H * 3600_000,
    },
    metrics: {
      sent: () => metrics.repliesSent.inc({ channel: WHATSAPP_CLOUD_CHANNEL }),
      failed: (reason) => metrics.sendFailures.inc({ channel: WHATSAPP_CLOUD_CHANNEL, reason }),
      status: (code) => metrics.deliveryFailures.inc({ channel: WHATSAPP_CLOUD_CHANNEL, code: String(code) }),
    },
    ...options,
    settings: cloudSettings(config),
  });
  await cloud.checkAccess();
  if (app.handoff) connectHandoff(app, cloud);
  // What an earlier run left in the outbox goes first; a refused token stops the sender until
  // Meta accepts it again.
  cloud.start();
  return {
    cloud,
    channel: {
      name: WHATSAPP_CLOUD_CHANNEL,
      stop: (graceMs) => cloud.stop(graceMs),
      state: () => (cloud.health.ok ? 'webhook' : `refused: ${cloud.health.problem}`),
      up: () => cloud.health.ok,
      broadcastOutbox: cloudOutboxBroadcast(cloud, app),
    },
    routes: [{ path: WEBHOOK_PATH, app: cloud.webhook }],
  };
}

/** The id of the template that tells a user outside the 24-hour window that someone answered. */
export const REPLY_WAITING_TEMPLATE = 'reply_waiting';

/**
 * Staff replies to Cloud API users go through the outbox, after what is pending for the user.
 * Within 24 hours of the user's last message they go as they are. Outside it they wait in the
 * outbox, held (never attempted), behind a short note saying they came while the user was away,
 * and the `reply_waiting` template (when data/templates.yaml has it) asks the user to write back;
 * when they do, the held messages go first. Later replies join the waiting ones without a
 * second note or template.
 */
export function connectHandoff(app: App, cloud: CloudChannel): void {
  // A user's voice note is fetched from the media endpoint when it is passed on to staff.
  app.handoff?.relay.registerVoice(WHATSAPP_CLOUD_CHANNEL, (_user, voice) => ({
    kind: voice.kind,
    seconds: voice.seconds,
    fetch: async () => {
      const r = await cloud.client.downloadMedia(voice.media);
      if (!r.ok)
        throw new Error(
          `the Cloud API media download failed: ${r.failure.httpStatus} ${r.failure.title ?? ''}`,
        );
      return { bytes: r.bytes, mime: r.mime };
    },
  }));
  app.handoff?.relay.register(WHATSAPP_CLOUD_CHANNEL, async (user, messages, lang, delivered) => {
    const last = await app.bot.lastInbound(WHATSAPP_CLOUD_CHANNEL, user);
    if (windowOpen(last, cloud.now())) {
      await cloud.queue(user, cloud.render(messages, lang));
      return 'sent';
    }
    // A reply already waits for them behind the note and the template: this one joins it, so
    // staff writing several times never sends the person several notes and paid templates.
    const key = app.bot.userKeyOf(WHATSAPP_CLOUD_CHANNEL, user);
    if (await app.bot.store.outbox.unsent(WHATSAPP_CLOUD_CHANNEL, key, PRIORITY.relay)) {
      await cloud.queue(user, cloud.render(messages, lang), PRIORITY.relay, delivered);
      return 'held';
    }
    const content = app.bot.current;
    const intro = commonText(content.ctx.t, lang, 'handoff.held', { org: content.ctx.handoff?.org ?? '' });
    const held = cloud.render([{ text: intro, options: [], flow: null, step: null }, ...messages], lang);
    await cloud.queue(user, held, PRIORITY.relay, delivered);
    if (!content.templates.templates[REPLY_WAITING_TEMPLATE]) return 'held';
    // The free-form messages are held when their turn comes; the template after them goes.
    await cloud.queue(user, [buildTemplateMessage(content.templates, REPLY_WAITING_TEMPLATE, lang)]);
    return 'held-template';
  });
}
