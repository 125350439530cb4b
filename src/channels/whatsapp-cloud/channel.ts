import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import type { OutMessage } from '../../engine/types.js';
import { commonText } from '../../i18n/keys.js';
import type { Bot } from '../../runtime/bot.js';
import type { Lang } from '../../text/lang.js';
import { type Clock, realClock } from '../whatsapp/pacer.js';
import { GraphClient } from './api.js';
import { CloudCounters } from './counters.js';
import { classifyError } from './errors.js';
import { CloudHealth } from './health.js';
import { type CloudAddress, type CloudStatus, convertCloudMessage, convertCloudStatus } from './incoming.js';
import { convertMessageToCloud, type QueuedPayload } from './outgoing.js';
import { WebhookBodySchema } from './schema.js';
import { CloudSender, type Held, logStop, type Outcome } from './sender.js';
import { buildTemplateMessage } from './templates.js';
import { cloudVoiceUploader } from './voice.js';
import { createCloudWebhook, type WebhookResult } from './webhook.js';

export const WHATSAPP_CLOUD_CHANNEL = 'whatsapp-cloud';

export type CloudSettings = {
  token: string;
  phoneNumberId: string;
  appSecret: string;
  verifyToken: string;
  apiRoot: string;
  apiVersion: string;
};

export type CloudChannelOptions = {
  settings: CloudSettings;
  clock?: Clock;
  fetch?: typeof fetch;
  /** Tries per message before giving up on a throttled send. */
  maxAttempts?: number;
  /** Every status callback (sent, delivered, read, failed), checked: the outbox will consume them. */
  onStatus?: (status: CloudStatus) => void;
  /** Every message held back (24-hour window, re-engagement, token). */
  onHeld?: (held: Held) => void;
  /** Replies before broadcasts: held from a message's turn until its reply is sent. */
  priority?: { hold(channel: string): () => void };
  /** The content's data/ folder, where recorded answers are; without it answers go as text only. */
  dataDir?: string;
};

/**
 * WhatsApp through Meta's Cloud API: signed webhook calls become engine turns, and the turns'
 * messages go out as text, reply buttons or lists through the Graph API, in order per person.
 * The phone number (wa_id) is only hashed into the user key and used to address replies:
 * never logged, never stored.
 */
export class CloudChannel {
  readonly webhook: Hono;
  readonly client: GraphClient;
  readonly health = new CloudHealth();
  readonly counters = new CloudCounters();
  readonly sender: CloudSender;
  private readonly clock: Clock;

  constructor(
    private readonly bot: Bot,
    private readonly log: Logger,
    private readonly options: CloudChannelOptions,
  ) {
    const s = options.settings;
    this.clock = options.clock ?? realClock;
    this.client = new GraphClient(
      { root: s.apiRoot, version: s.apiVersion, phoneNumberId: s.phoneNumberId, token: s.token },
      options.fetch,
    );
    this.sender = new CloudSender({
      client: this.client,
      clock: this.clock,
      health: this.health,
      counters: this.counters,
      log,
      maxAttempts: options.maxAttempts,
      onHeld: options.onHeld,
      voice: options.dataDir
        ? cloudVoiceUploader({
            client: this.client,
            uploads: bot.store,
            account: s.phoneNumberId,
            dataDir: options.dataDir,
            log,
          })
        : undefined,
    });
    this.webhook = createCloudWebhook({
      appSecret: s.appSecret,
      verifyToken: s.verifyToken,
      handle: (body) => this.handle(body),
      log,
    });
  }

  /**
   * One signed webhook call. Turns run before the answer, so a message is committed before Meta
   * hears "200"; replies are sent after. A turn that fails asks Meta to deliver the call again:
   * the messages already handled are recognised by their ids and not answered twice.
   */
  async handle(raw: unknown): Promise<WebhookResult> {
    const parsed = WebhookBodySchema.safeParse(raw);
    if (!parsed.success || parsed.data.object !== 'whatsapp_business_account') {
      // Sending it again would not make it readable.
      this.log.warn(
        { code: 'whatsapp_cloud.unreadable' },
        'whatsapp-cloud: a webhook call was not understood',
      );
      return 'ok';
    }
    let failed = 0;
    for (const entry of parsed.data.entry) {
      for (const change of entry.changes) {
        if (change.field !== 'messages') continue;
        const value = change.value;
        // One app can serve several numbers; another number's people are not ours to answer.
        if (value.metadata && value.metadata.phone_number_id !== this.options.settings.phoneNumberId) {
          this.log.debug(
            { code: 'whatsapp_cloud.other_number' },
            'whatsapp-cloud: a call for another number',
          );
          continue;
        }
        for (const status of value.statuses ?? []) this.onStatus(status);
        for (const message of value.messages ?? []) if (!(await this.onMessage(message))) failed++;
      }
    }
    return failed ? 'retry' : 'ok';
  }

  private async onMessage(raw: unknown): Promise<boolean> {
    const incoming = convertCloudMessage(raw);
    if ('ignore' in incoming) {
      this.log.debug({ reason: incoming.ignore }, 'whatsapp-cloud message ignored');
      return true;
    }
    // The key is taken before the turn: after a "stop" the bot lets go of the raw id.
    const chat = this.bot.userKeyOf(WHATSAPP_CLOUD_CHANNEL, incoming.user);
    const now = this.clock.now();
    let reply: Awaited<ReturnType<Bot['handle']>>;
    try {
      reply = await this.bot.handle({
        channel: WHATSAPP_CLOUD_CHANNEL,
        user: incoming.user,
        event: incoming.event,
        updateId: incoming.updateId,
        at: incoming.at,
      });
    } catch (e) {
      // A message the engine cannot take would fail again on every delivery: it is dropped.
      const again = !(e instanceof ZodError);
      this.log.error(
        { code: 'whatsapp_cloud.turn_failed', reason: e instanceof Error ? e.message : String(e), again },
        again
          ? 'whatsapp-cloud: a message could not be handled; Meta will deliver it again'
          : 'whatsapp-cloud: a message could not be read and is dropped',
      );
      return !again;
    }
    if (reply.duplicate) return true;
    // Forgotten (stop, quick exit): an older answer still queued must not follow the goodbye. The
    // Cloud API cannot delete sent messages, so a quick exit erases nothing in the chat itself.
    if (!reply.session) this.sender.cancel(chat);
    if (!reply.messages.length) return true;
    const release = this.options.priority?.hold(WHATSAPP_CLOUD_CHANNEL);
    void this.sender
      .enqueue(chat, {
        address: incoming.address,
        // This very message opened the window, whatever is stored (after "stop", nothing is).
        lastInbound: Math.min(incoming.at ?? now, now),
        payloads: this.render(reply.messages, reply.lang),
      })
      .finally(() => release?.());
    return true;
  }

  private onStatus(raw: unknown): void {
    const status = convertCloudStatus(raw);
    if ('ignore' in status) {
      this.log.debug({ reason: status.ignore }, 'whatsapp-cloud status ignored');
      return;
    }
    if (status.status === 'failed') {
      for (const e of status.errors.length ? status.errors : [{ code: 0, title: 'no error given' }]) {
        this.counters.failure('status', e.code);
        this.log.warn(
          {
            code: 'whatsapp_cloud.delivery_failed',
            error: e.code,
            title: e.title,
            action: classifyError(e, 1).action,
          },
          'whatsapp-cloud: a sent message was not delivered',
        );
      }
    }
    this.options.onStatus?.(status);
  }

  /** Engine messages as Cloud API messages, in the reader's language. */
  render(messages: readonly OutMessage[], lang: Lang): QueuedPayload[] {
    const listButton = commonText(this.bot.current.ctx.t, lang, 'whatsapp.listButton');
    // A recording follows its text; the sender uploads it when its turn comes.
    return messages.flatMap((m): QueuedPayload[] => [
      ...convertMessageToCloud(m, { listButton }),
      ...(m.audio && this.options.dataDir ? [{ type: 'voice' as const, voice: { file: m.audio } }] : []),
    ]);
  }

  /**
   * Messages the bot starts itself (a late answer, a notice): sent only within 24 hours of the
   * person's last message; outside it they are held and reported, never attempted.
   */
  async sendFreeForm(user: string, messages: readonly OutMessage[], lang: Lang): Promise<Outcome[]> {
    return this.sender.enqueue(this.bot.userKeyOf(WHATSAPP_CLOUD_CHANNEL, user), {
      address: addressOf(user),
      lastInbound: await this.bot.lastInbound(WHATSAPP_CLOUD_CHANNEL, user),
      payloads: this.render(messages, lang),
    });
  }

  /** An approved template from data/templates.yaml, which WhatsApp delivers at any time. */
  async sendTemplate(
    user: string,
    id: string,
    lang: Lang,
    values: Record<string, string> = {},
  ): Promise<Outcome> {
    const payload = buildTemplateMessage(this.bot.current.templates, id, lang, values);
    const [outcome] = await this.sender.enqueue(this.bot.userKeyOf(WHATSAPP_CLOUD_CHANNEL, user), {
      address: addressOf(user),
      lastInbound: null,
      payloads: [payload],
    });
    return outcome!;
  }

  /** Checks the token and the number, and says which number answers; a refusal turns the health red. */
  async checkAccess(): Promise<boolean> {
    const r = await this.client.phoneNumber();
    if (r.ok) {
      this.health.recover();
      this.log.info(
        { code: 'whatsapp_cloud.ready', name: r.verifiedName, quality: r.quality },
        'whatsapp-cloud: the Cloud API accepted the token',
      );
      return true;
    }
    const action = classifyError(r.failure, 1);
    if (action.action === 'stop') {
      if (this.health.fail(action.reason, this.clock.now())) logStop(this.log, action.reason, r.failure);
      return false;
    }
    this.log.error(
      {
        code: 'whatsapp_cloud.check_failed',
        error: r.failure.code,
        status: r.failure.httpStatus,
        reason: r.failure.detail,
      },
      'whatsapp-cloud: the token and the number could not be checked; check WHATSAPP_CLOUD_PHONE_NUMBER_ID, WHATSAPP_CLOUD_API_ROOT and the network',
    );
    return false;
  }

  /** Waits a little for the replies already queued; a throttled retry is not waited for. */
  async stop(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.sender.idle(),
      new Promise<void>((r) => {
        timer = setTimeout(r, 10_000);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }
}

/** The user id of a person known only by a business-scoped id carries a prefix: see incoming.ts. */
export function addressOf(user: string): CloudAddress {
  return user.startsWith('bsuid:') ? { recipient: user.slice('bsuid:'.length) } : { to: user };
}
