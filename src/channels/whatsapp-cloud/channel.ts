import { randomBytes } from 'node:crypto';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { ZodError } from 'zod';
import type { OutMessage } from '../../engine/types.js';
import { commonText } from '../../i18n/keys.js';
import { PRIORITY, type Priority } from '../../outbox/contract.js';
import { OutboxSender, type SenderLimits } from '../../outbox/sender.js';
import { ApologyLimiter } from '../../runtime/apology.js';
import type { Bot } from '../../runtime/bot.js';
import { StoreFault } from '../../store/fault.js';
import type { Lang } from '../../text/lang.js';
import { type Clock, realClock, senderSleep } from '../whatsapp/pacer.js';
import { GraphClient } from './api.js';
import { CloudCounters } from './counters.js';
import { classifyError } from './errors.js';
import { CloudHealth } from './health.js';
import { type CloudStatus, convertCloudMessage } from './incoming.js';
import { convertMessageToCloud, type QueuedPayload, textPayload } from './outgoing.js';
import { applyReceipt } from './receipts.js';
import { WebhookBodySchema } from './schema.js';
import { buildTemplateMessage } from './templates.js';
import { type CloudOutgoing, CloudTransport, logStop, type Outcome } from './transport.js';
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

/** A message held in the outbox (24-hour window, re-engagement), as reported: no address, no text. */
export type Held = { userKey: string; reason: string; payload: QueuedPayload };

export type CloudChannelOptions = {
  settings: CloudSettings;
  clock?: Clock;
  fetch?: typeof fetch;
  /** The outbox sender's limits for this number (Meta's throughput, the pace per person). */
  limits?: Partial<SenderLimits>;
  /** Every status callback (sent, delivered, read, failed), checked, after the outbox took it. */
  onStatus?: (status: CloudStatus) => void;
  /** Every message held in the outbox (24-hour window, re-engagement). */
  onHeld?: (held: Held) => void;
  /** Replies before broadcasts: held from a message's turn until its reply has left the outbox. */
  priority?: { hold(channel: string): () => void; replying?(channel: string): boolean };
  /** The content's data/ folder, where recorded answers are; without it answers go as text only. */
  dataDir?: string;
  /** Counts for /metrics: messages accepted by Meta, send failures by reason. */
  metrics?: {
    sent: () => void;
    failed: (reason: string) => void;
    status: (code: number) => void;
  };
  /** How often the token is checked again after Meta refused it. */
  recheckMs?: number;
};

/**
 * WhatsApp through Meta's Cloud API: signed webhook calls become engine turns, and the turns'
 * messages go out through the outbox (written in the turn's transaction) as text, reply
 * buttons or lists, in order per person. The phone number (wa_id) is hashed into the user key
 * and used, sealed in the outbox, to address replies: never logged, never stored in clear.
 */
export class CloudChannel {
  readonly webhook: Hono;
  readonly client: GraphClient;
  readonly health = new CloudHealth();
  readonly counters = new CloudCounters();
  readonly sender: OutboxSender;
  private readonly clock: Clock;
  private readonly apologies: ApologyLimiter;
  /** Outcomes someone in this process waits for, by the ticket written with the message. */
  private readonly waiting = new Map<string, (outcome: Outcome) => void>();
  /** Who is told when a message has gone, by the note written with it: memory only, bounded. */
  private readonly notes = new Map<string, () => void>();
  private recheck?: NodeJS.Timeout;
  /** Apologies sent directly, outside the outbox (the store cannot commit). */
  private readonly direct = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    private readonly bot: Bot,
    private readonly log: Logger,
    private readonly options: CloudChannelOptions,
  ) {
    const s = options.settings;
    this.clock = options.clock ?? realClock;
    this.apologies = new ApologyLimiter(() => this.clock.now());
    this.client = new GraphClient(
      { root: s.apiRoot, version: s.apiVersion, phoneNumberId: s.phoneNumberId, token: s.token },
      options.fetch,
    );
    const transport = new CloudTransport({
      client: this.client,
      clock: this.clock,
      health: this.health,
      counters: this.counters,
      log,
      lastInbound: (user) => bot.lastInbound(WHATSAPP_CLOUD_CHANNEL, user),
      settled: (ticket, outcome) => {
        const done = this.waiting.get(ticket);
        this.waiting.delete(ticket);
        done?.(outcome);
      },
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
    const outbox = bot.store.outbox;
    this.sender = new OutboxSender({
      channel: WHATSAPP_CLOUD_CHANNEL,
      store: outbox,
      seal: bot.seal,
      transport,
      log,
      replying: () => options.priority?.replying?.(WHATSAPP_CLOUD_CHANNEL) === true,
      // Meta's default throughput is 80 messages a second per number.
      limits: { perSecond: 80, chatBurst: 10, ...options.limits },
      now: () => this.clock.now(),
      storeNow: bot.clock,
      // Only the pauses Meta asks for follow an injected clock; the sender's idle looks are real time.
      sleep: options.clock ? senderSleep(this.clock, 1000) : undefined,
      hooks: {
        // The message id Meta gave is kept as a keyed hash, so its delivery report can find the row.
        sent: (row, ids) => {
          if (row.priority !== PRIORITY.broadcast) options.metrics?.sent();
          const note = (row.payload as Partial<CloudOutgoing>).n;
          const told = note ? this.notes.get(note) : undefined;
          if (note) this.notes.delete(note);
          told?.();
          const id = ids[0];
          return outbox.markSent(row.id, row.userKey, [], id ? this.refOf(id) : undefined);
        },
        held: (row, reason) => {
          this.counters.hold(reason);
          this.log.warn(
            { code: 'whatsapp_cloud.held', reason },
            reason === 'window'
              ? 'whatsapp-cloud: held in the outbox, more than 24 hours after the last message; it goes when the person writes again'
              : 'whatsapp-cloud: Meta asks for the person to write first (re-engagement); held in the outbox until they do',
          );
          const payload = (row.payload as Partial<CloudOutgoing>).msg;
          if (payload) options.onHeld?.({ userKey: row.userKey, reason, payload });
        },
        blocked: (key) => bot.forgetKey(WHATSAPP_CLOUD_CHANNEL, key),
        // The token (or the account) was refused: nothing can go until it is fixed. The messages
        // wait in the outbox; the token is checked again now and then, and sending resumes.
        fatal: () => this.watchAccess(),
        failed: (_channel, reason) => options.metrics?.failed(reason),
      },
    });
    this.webhook = createCloudWebhook({
      appSecret: s.appSecret,
      verifyToken: s.verifyToken,
      handle: (body) => this.handle(body),
      log,
    });
  }

  /** Starts sending: what an earlier run left in the outbox goes first. */
  start(): void {
    this.stopped = false;
    this.bot.wakers.set(WHATSAPP_CLOUD_CHANNEL, (key) => this.sender.wake(key));
    this.sender.start();
  }

  /** The channel's clock: the 24-hour window is judged by it. */
  now(): number {
    return this.clock.now();
  }

  /** The keyed hash a sent message's id is kept under: the id itself holds the phone number. */
  refOf(messageId: string): string {
    return this.bot.userKeyOf('whatsapp-cloud:message', messageId);
  }

  /**
   * One signed webhook call. Turns run before the answer, so a message and its reply are
   * committed (the reply in the outbox) before Meta hears "200". A turn that fails asks Meta to
   * deliver the call again: the messages already handled are recognised by their ids.
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
        for (const status of value.statuses ?? []) {
          const kept = await applyReceipt(status, {
            channel: WHATSAPP_CLOUD_CHANNEL,
            outbox: this.bot.store.outbox,
            refOf: (id) => this.refOf(id),
            counters: this.counters,
            log: this.log,
            failed: this.options.metrics?.status,
            onStatus: this.options.onStatus,
          });
          if (!kept) failed++;
        }
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
    // This very message opened the window, whatever is stored (after "stop", nothing is).
    const inbound = Math.min(incoming.at ?? now, now);
    const release = this.options.priority?.hold(WHATSAPP_CLOUD_CHANNEL);
    let reply: Awaited<ReturnType<Bot['handle']>>;
    try {
      reply = await this.bot.handle({
        channel: WHATSAPP_CLOUD_CHANNEL,
        user: incoming.user,
        event: incoming.event,
        updateId: incoming.updateId,
        at: incoming.at,
        deliver: {
          address: incoming.user,
          render: (messages, _erase, lang) =>
            this.render(messages, lang).map((msg): CloudOutgoing => ({ msg, inbound })),
          releaseHeld: true,
        },
      });
    } catch (e) {
      release?.();
      // The store cannot commit (the bot logs that once a minute): Meta delivers the message
      // again, and the person gets a short apology now, sent directly, rather than silence.
      if (e instanceof StoreFault) {
        if (this.apologies.allow(chat)) {
          const sent = this.client
            .send(incoming.address, textPayload(this.bot.apology(null)))
            .catch(() => undefined);
          this.direct.add(sent);
          void sent.finally(() => this.direct.delete(sent));
        }
        return false;
      }
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
    // Broadcasts on this channel wait until the reply has left the outbox.
    if (!release) return true;
    if (reply.duplicate || !reply.messages.length) release();
    else void this.sender.drained(chat).then(release);
    return true;
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
   * Messages for a user outside a turn of theirs, written to the outbox after what is pending
   * for them. Free-form messages go only within 24 hours of the person's last message: outside
   * it they are held in the outbox, never attempted, until the person writes again.
   */
  async queue(
    user: string,
    payloads: readonly QueuedPayload[],
    priority: Priority = PRIORITY.relay,
    /** Called once the last of these messages has gone (in this process). */
    sent?: () => void,
  ): Promise<void> {
    const rows = payloads.map((msg): CloudOutgoing => ({ msg }));
    const last = rows.at(-1);
    if (sent && last) {
      last.n = randomBytes(9).toString('base64url');
      // Notes for messages that never go (a person who never writes back) must not pile up.
      if (this.notes.size >= 10_000) this.notes.delete(this.notes.keys().next().value!);
      this.notes.set(last.n, sent);
    }
    await this.bot.deliver(WHATSAPP_CLOUD_CHANNEL, user, user, rows, priority);
  }

  /**
   * As `queue`, and resolves with each message's outcome once it is sent, held or failed (a
   * throttled or failing send is retried by the outbox meanwhile).
   */
  async sendFreeForm(
    user: string,
    messages: readonly OutMessage[],
    lang: Lang,
    /** False: outside the window the messages fail rather than wait (a broadcast's template goes instead). */
    hold = true,
  ): Promise<Outcome[]> {
    return this.send(user, this.render(messages, lang), hold);
  }

  /** An approved template from data/templates.yaml, which WhatsApp delivers at any time. */
  async sendTemplate(
    user: string,
    id: string,
    lang: Lang,
    values: Record<string, string> = {},
  ): Promise<Outcome> {
    const [outcome] = await this.send(user, [
      buildTemplateMessage(this.bot.current.templates, id, lang, values),
    ]);
    return outcome!;
  }

  private async send(user: string, payloads: readonly QueuedPayload[], hold = true): Promise<Outcome[]> {
    const tickets = payloads.map(() => randomBytes(9).toString('base64url'));
    const outcomes = tickets.map((t) => new Promise<Outcome>((resolve) => this.waiting.set(t, resolve)));
    try {
      await this.bot.deliver(
        WHATSAPP_CLOUD_CHANNEL,
        user,
        user,
        payloads.map(
          (msg, i): CloudOutgoing => (hold ? { msg, t: tickets[i]! } : { msg, t: tickets[i]!, hold }),
        ),
        PRIORITY.relay,
      );
    } catch (e) {
      for (const t of tickets) this.waiting.delete(t);
      throw e;
    }
    return Promise.all(outcomes);
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

  /**
   * The sender stopped on a refused token: the token is checked again every `recheckMs`, and
   * sending resumes once Meta accepts it (a token rotated without a restart).
   */
  private watchAccess(): void {
    if (this.recheck || this.stopped) return;
    this.recheck = setInterval(() => void this.retryAccess(), this.options.recheckMs ?? 60_000);
    this.recheck.unref();
  }

  /** Checks the token now; when Meta accepts it, sending resumes. */
  async retryAccess(): Promise<boolean> {
    if (!(await this.checkAccess())) return false;
    clearInterval(this.recheck);
    this.recheck = undefined;
    if (!this.stopped) this.sender.start();
    return true;
  }

  /**
   * Resolves once nothing due is left in this channel's outbox (everything sent, held, failed,
   * or waiting for a retry later), or after `maxMs`: for tools and tests. A message being sent
   * is leased to this store, so it still counts as due until it is marked.
   */
  async idle(maxMs = 10_000): Promise<void> {
    const end = Date.now() + maxMs;
    const outbox = this.bot.store.outbox;
    await Promise.all([...this.direct]);
    while (Date.now() < end) {
      const [due] = await outbox
        .claim(WHATSAPP_CLOUD_CHANNEL, this.bot.clock(), 1, new Set())
        .catch(() => []);
      if (!due) return;
      this.sender.wake(due.userKey);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Stops sending after up to `graceMs` of what is due; what is left goes at the next start. */
  async stop(graceMs = 0): Promise<void> {
    this.stopped = true;
    clearInterval(this.recheck);
    this.recheck = undefined;
    this.bot.wakers.delete(WHATSAPP_CLOUD_CHANNEL);
    await this.sender.stop(graceMs);
  }
}
