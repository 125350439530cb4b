import { dataDirOf } from '../../audio/file.js';
import type { Config } from '../../config/env.js';
import type { HttpRoute } from '../../http/server.js';
import type { App } from '../../runtime/app.js';
import type { RunningChannel } from '../channel.js';
import { cloudBroadcastSender } from './broadcast.js';
import { CloudChannel, type CloudChannelOptions, WHATSAPP_CLOUD_CHANNEL } from './channel.js';

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
  const cloud = new CloudChannel(app.bot, app.log, {
    priority: app.priority,
    dataDir: dataDirOf(app.config.paths.root),
    ...options,
    settings: cloudSettings(app.config),
  });
  await cloud.checkAccess();
  if (app.handoff) connectHandoff(app, cloud);
  return {
    cloud,
    channel: {
      name: 'whatsapp-cloud',
      stop: () => cloud.stop(),
      broadcast: cloudBroadcastSender(cloud, app),
    },
    routes: [{ path: WEBHOOK_PATH, app: cloud.webhook }],
  };
}

/** The id of the template that tells a user outside the 24-hour window that someone answered. */
export const REPLY_WAITING_TEMPLATE = 'reply_waiting';

/**
 * Staff replies to Cloud API users: free-form within 24 hours of the user's last message;
 * outside it the reply is held, and the `reply_waiting` template (when data/templates.yaml has
 * it) asks the user to write back.
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
  app.handoff?.relay.register(WHATSAPP_CLOUD_CHANNEL, async (user, messages, lang) => {
    const outcomes = await cloud.sendFreeForm(user, messages, lang);
    if (!outcomes.some((o) => o.status === 'held' && o.reason === 'window')) return 'sent';
    if (!app.bot.current.templates.templates[REPLY_WAITING_TEMPLATE]) return 'held';
    const sent = await cloud.sendTemplate(user, REPLY_WAITING_TEMPLATE, lang);
    return sent.status === 'sent' ? 'held-template' : 'held';
  });
}
