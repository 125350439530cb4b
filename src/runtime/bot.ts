import { hash, randomBytes, randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { LangHint } from '../engine/context.js';
import { runTurn } from '../engine/run.js';
import { type Effect, type Event, EventSchema, type OutMessage, type Session } from '../engine/types.js';
import type { HandoffAction, HandoffSink } from '../handoff/actions.js';
import type { Metrics } from '../http/metrics.js';
import { PRIORITY, type Priority } from '../outbox/contract.js';
import type { AddressSeal } from '../outbox/seal.js';
import type { AddressBox } from '../store/address.js';
import type { HandoffRow, Loaded, Store, Write } from '../store/contract.js';
import { isStoreError, StoreFault, storeFaultCode } from '../store/fault.js';
import type { DbFileWatch } from '../store/file-watch.js';
import { recordWrites } from '../store/records.js';
import { inboundTime } from '../store/times.js';
import type { UserKeys } from '../store/user-key.js';
import type { Lang } from '../text/lang.js';
import type { Content } from './content.js';
import { LogThrottle } from './throttle.js';

export type Incoming = {
  channel: string;
  /** The channel's own user id; hashed before it goes anywhere. */
  user: string;
  event: Event;
  /** The channel's id for this delivery, for at-most-once handling of redelivered updates. */
  updateId?: string;
  /** The id of the user's message in the chat, where the channel can delete it later (Telegram). */
  messageId?: string;
  /** When the user sent it (ms), by the app's clock, when the app says; else now. */
  at?: number;
  hint?: LangHint;
  /**
   * A token that makes this update count once per user, whatever its update id: a press on a
   * keyboard counts once, so a keyboard pressed again (or 20 times fast) runs no second turn.
   */
  once?: string;
  /**
   * Where the reply goes through the outbox: the chat's address and the channel's calls for the
   * turn's messages (and for the deletions of a quick exit). They are written in the turn's
   * transaction, so a reply is never lost once the update is handled.
   */
  deliver?: {
    address: string;
    render: (messages: readonly OutMessage[], erase: readonly string[], lang: Lang) => unknown[];
    /**
     * The user's messages held in the outbox (outside WhatsApp's 24-hour window) go again, in
     * the same transaction, before this turn's reply.
     */
    releaseHeld?: boolean;
  };
};

type LogEffect = Extract<Effect, { type: 'log' }>;

export type Reply = {
  messages: OutMessage[];
  lang: Lang;
  session: Session | null;
  /** True when this update was handled before and nothing was done. */
  duplicate: boolean;
  /**
   * Quick exit: the ids of the chat's recent messages (the user's and the bot's), read before
   * the user was forgotten. The channel deletes them, where it can, before it sends the reply.
   */
  erase: string[];
};

export type StoreHealth = { state: 'ok' | 'fault' | 'missing'; fault: string | null };

/**
 * The host around the pure engine: one turn is one store transaction that loads the session
 * under the user's lock, runs the engine, and stores what it decided (session, records, and
 * the outgoing messages when the channel delivers through the outbox).
 */
export class Bot {
  /** The staff inbox's host, when one is configured: told of every turn after its commit. */
  handoffSink?: HandoffSink;
  /** Per channel: called after a turn wrote outgoing messages, so the channel's sender looks at once. */
  readonly wakers = new Map<string, (userKey: string) => void>();
  /** Tells when the database file was deleted under the bot (SQLite). */
  fileWatch?: DbFileWatch;
  /** Counts for /metrics, when the app serves them. */
  metrics?: Metrics;
  private storeState: { state: 'ok' | 'fault'; fault: string | null } = { state: 'ok', fault: null };
  private readonly quiet = new LogThrottle();

  constructor(
    readonly store: Store,
    private content: Content,
    private readonly userKeys: UserKeys,
    readonly addresses: AddressBox,
    private readonly log: Logger,
    /** Seals the outbox's addresses and texts with a key the store does not hold. */
    readonly seal: AddressSeal,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The app's clock, which stamps what the store keeps (the outbox's due times among them). */
  get clock(): () => number {
    return this.now;
  }

  /** The stored key of a user: tests and tools use it, never the raw id. */
  userKeyOf(channel: string, user: string): string {
    return this.userKeys.of(channel, user);
  }

  /**
   * Deletes everything stored for a user outside a conversation turn, as when they block the
   * bot. "stop" and quick exit take the same path from inside their turn.
   */
  async forgetUser(channel: string, user: string): Promise<void> {
    const key = this.userKeys.of(channel, user);
    // A turn rather than a bare forget: the open conversation with a person is read under the
    // same lock, so that staff can be told the user left.
    const open = await this.store.turn(key, (loaded) => {
      const row = loaded.handoff();
      return { result: row, writes: [{ type: 'forget' }] };
    });
    this.userKeys.drop(channel, user);
    // The sender may hold the user's next message already: it looks again, and finds none.
    this.wakers.get(channel)?.(key);
    // Staff learn only that the user left.
    this.handoffSink?.afterTurn({
      channel,
      user,
      key,
      event: null,
      messages: [],
      actions: open ? [{ type: 'close', row: open, reason: 'left' }] : [],
      forgotten: true,
    });
  }

  /** As forgetUser, by the stored key: the outbox knows only that (a user who blocked the bot). */
  async forgetKey(channel: string, key: string): Promise<void> {
    await this.store.forget(key);
    this.wakers.get(channel)?.(key);
  }

  /** The channel id behind a conversation with a person, while it is open. */
  handoffUser(row: { address: string | null }): string | null {
    return row.address ? this.userKeys.unseal(row.address) : null;
  }

  /**
   * The minute of the user's last message, or null when nothing is stored for them: WhatsApp's
   * Cloud API delivers free-form messages only within 24 hours of it.
   */
  lastInbound(channel: string, user: string): Promise<number | null> {
    return this.store.lastInbound(this.userKeys.of(channel, user));
  }

  get current(): Content {
    return this.content;
  }

  /** Swaps in a new content version; turns in progress finish on the old one. */
  setContent(content: Content): void {
    this.content = content;
  }

  async handle(input: Incoming): Promise<Reply> {
    const started = performance.now();
    const event = EventSchema.parse(input.event);
    const key = this.userKeys.of(input.channel, input.user);
    // The content of the turn is the one current when it starts, even if a reload comes meanwhile.
    const content = this.content;
    let out: ReturnType<Bot['decide']>['result'];
    try {
      out = await this.store.turn(key, (loaded) => this.decide(content, key, { ...input, event }, loaded));
    } catch (e) {
      if (isStoreError(e)) throw this.storeFailed(e);
      throw e;
    }
    if (this.storeState.state !== 'ok') {
      this.log.info({ code: 'store.recovered', was: this.storeState.fault }, 'the store commits again');
      this.storeState = { state: 'ok', fault: null };
    }
    // After the commit of a forget, the id leaves memory too.
    if (out.reply.session === null && !out.reply.duplicate) this.userKeys.drop(input.channel, input.user);
    if (out.queued) this.wakers.get(input.channel)?.(key);
    if (this.metrics && !out.reply.duplicate) {
      this.metrics.turns.inc({ channel: input.channel });
      this.metrics.turnDuration.observe({ channel: input.channel }, (performance.now() - started) / 1000);
      for (const e of out.effects) {
        if (e.type === 'unanswered') this.metrics.unanswered.inc();
        else if (e.type === 'metric' && e.name === 'safety_card') this.metrics.safetyCards.inc();
      }
    }
    for (const m of out.logs)
      this.log[m.level]({ code: m.code, flow: m.flow, step: m.step, channel: input.channel }, 'engine');
    if (!out.reply.duplicate)
      this.handoffSink?.afterTurn({
        channel: input.channel,
        user: input.user,
        key,
        event,
        messages: out.reply.messages,
        actions: out.actions,
        forgotten: out.reply.session === null,
      });
    return out.reply;
  }

  /**
   * Messages for a user outside a turn of theirs (a staff member's reply, a note from the host):
   * written to the outbox under the user's lock, after what is pending for them, and sent by the
   * channel's sender. Resolves once they are stored.
   */
  async deliver(
    channel: string,
    user: string,
    address: string,
    payloads: readonly unknown[],
    priority: Priority = PRIORITY.relay,
  ): Promise<void> {
    if (!payloads.length) return;
    const key = this.userKeys.of(channel, user);
    const writes: Write[] = payloads.map((p) => ({
      type: 'outbox',
      channel,
      priority,
      body: this.seal.seal(JSON.stringify({ a: address, p })),
    }));
    try {
      await this.store.turn(key, () => ({ result: undefined, writes }));
    } catch (e) {
      if (isStoreError(e)) throw this.storeFailed(e);
      throw e;
    }
    this.wakers.get(channel)?.(key);
  }

  /** The store's state as the last turn found it, and whether its file is still there, for /health. */
  get storeHealth(): StoreHealth {
    if (this.fileWatch?.missing) return { state: 'missing', fault: 'file deleted' };
    return this.storeState;
  }

  /** A turn could not commit: logged once a minute whatever the number of messages. */
  private storeFailed(e: unknown): StoreFault {
    const code = storeFaultCode(e);
    this.storeState = { state: 'fault', fault: code };
    const skipped = this.quiet.allow('store.fault');
    if (skipped !== null)
      this.log.error(
        { code: 'store.fault', fault: code, skipped, err: e instanceof Error ? e.message : String(e) },
        'a turn could not be saved; the user gets an apology and the update is kept for later',
      );
    return e instanceof StoreFault ? e : new StoreFault(code, e);
  }

  /** The short apology a user gets when their turn could not be saved, in their language. */
  apology(lang: Lang | null | undefined): string {
    return this.content.ctx.t(lang ?? this.content.ctx.defaultLang, 'common', 'error.store');
  }

  /**
   * Remembers the ids of messages the channel sent to a user, known only once they are sent, so
   * that a quick exit can delete them. Nothing is kept for a user who has been forgotten.
   */
  async recordSent(channel: string, user: string, ids: readonly string[]): Promise<void> {
    if (ids.length) await this.store.appendRecent(this.userKeys.of(channel, user), ids);
  }

  /** The turn itself, run by the store under the user's lock: pure but for the clock. */
  private decide(
    content: Content,
    key: string,
    input: Incoming,
    loaded: Loaded,
  ): {
    result: {
      reply: Reply;
      logs: LogEffect[];
      actions: HandoffAction[];
      queued: boolean;
      effects: readonly Effect[];
    };
    writes: Write[];
  } {
    const stored = loaded.stored;
    // Update ids are hashed too: a WhatsApp message id contains the phone number. 48 bits tell
    // a user's last deliveries apart and keep the session row small.
    const delivery = input.updateId
      ? hash('sha256', `${key}\u0000${input.updateId}`, 'base64url').slice(0, 8)
      : null;
    const once = input.once ? hash('sha256', `${key}\u0001${input.once}`, 'base64url').slice(0, 8) : null;
    if ((delivery && stored?.seen.includes(delivery)) || (once && stored?.seen.includes(once))) {
      const reply: Reply = {
        messages: [],
        lang: stored.session.lang ?? content.ctx.defaultLang,
        session: stored.session,
        duplicate: true,
        erase: [],
      };
      return { result: { reply, logs: [], actions: [], queued: false, effects: [] }, writes: [] };
    }
    const prior = stored?.session ?? null;
    // The host's own events (staff closed, idle) concern a user the bot still knows, or nobody.
    const fromHost = 'handoff' in input.event;
    if (fromHost && !prior) {
      const reply: Reply = {
        messages: [],
        lang: content.ctx.defaultLang,
        session: null,
        duplicate: true,
        erase: [],
      };
      return { result: { reply, logs: [], actions: [], queued: false, effects: [] }, writes: [] };
    }
    const result = runTurn(content.ctx, prior, input.event, input.hint, this.now(), loaded.subscribed);
    const session = result.session;
    const writes: Write[] = [];
    const actions = this.handoffWrites(key, input, result.effects, loaded, writes);
    // Read before the user is forgotten: afterwards nothing is left to say which messages were theirs.
    const erase = result.effects.some((e) => e.type === 'erase')
      ? [...loaded.recent(), ...(input.messageId ? [input.messageId] : [])]
      : [];
    if (session) {
      const marks = [delivery, once].filter((m): m is string => m !== null);
      const seen = [...(stored?.seen ?? []), ...marks];
      // A clock ahead of ours must not stretch the window: never later than now. The host's own
      // events are not messages from the user and leave WhatsApp's window where it was.
      const inboundAt = fromHost
        ? undefined
        : inboundTime(Math.min(input.at ?? Number.POSITIVE_INFINITY, this.now()));
      writes.push({ type: 'session.put', channel: input.channel, session, seen, inboundAt });
      if (input.messageId) writes.push({ type: 'recent.append', ids: [input.messageId] });
    } else {
      writes.push({ type: 'forget' });
    }
    const known = session?.lang ?? prior?.lang ?? input.hint?.lang ?? null;
    const lang = known ?? content.ctx.defaultLang;
    if (session)
      writes.push(...this.subscriptionWrites(input, lang, loaded.subscribed.length > 0, result.effects));
    writes.push(
      ...recordWrites(result.effects, {
        channel: input.channel,
        // A user still choosing their language is counted as such, not as the default language.
        lang: known,
        campaign: session?.campaign ?? prior?.campaign ?? null,
      }),
    );
    const logs = result.effects.flatMap((e) => (e.type === 'log' ? [e] : []));
    let queued = false;
    if (input.deliver) {
      const address = input.deliver.address;
      // A message from the user (not the host's own event) opens the window again.
      if (input.deliver.releaseHeld && !fromHost) writes.push({ type: 'outbox.release' });
      for (const payload of input.deliver.render(result.messages, erase, lang)) {
        const body = this.seal.seal(JSON.stringify({ a: address, p: payload }));
        writes.push({ type: 'outbox', channel: input.channel, priority: 0, body });
        queued = true;
      }
    }
    const reply: Reply = { messages: result.messages, lang, session, duplicate: false, erase };
    return { result: { reply, logs, actions, queued, effects: result.effects }, writes };
  }

  /**
   * The turn's handoff effects as writes in its transaction, and as actions for the host, which
   * talks to the inbox after the commit.
   */
  private handoffWrites(
    key: string,
    input: Incoming,
    effects: readonly Effect[],
    loaded: Loaded,
    writes: Write[],
  ): HandoffAction[] {
    const actions: HandoffAction[] = [];
    if (!effects.some((e) => e.type.startsWith('handoff.'))) return actions;
    let current = loaded.handoff();
    for (const e of effects) {
      if (e.type === 'handoff.open') {
        const at = this.now();
        const row: HandoffRow = {
          id: randomBytes(12).toString('base64url'),
          user_key: key,
          channel: input.channel,
          address: this.userKeys.seal(input.user),
          pseudonym: pseudonym(),
          lang: e.lang,
          thread: null,
          opened_at: at,
          replied_fast: null,
          last_at: at,
          closed_at: null,
        };
        const { id, channel, address, pseudonym: name, lang } = row;
        writes.push({ type: 'handoff.open', id, channel, address: address!, pseudonym: name, lang });
        current = row;
        actions.push({ type: 'open', row, history: e.history, outOfHours: e.outOfHours });
      } else if (e.type === 'handoff.relay-in') {
        if (!current) continue;
        writes.push({ type: 'handoff.touch', id: current.id });
        actions.push({ type: 'relay', row: current, text: e.text });
      } else if (e.type === 'handoff.relay-voice') {
        if (!current) continue;
        writes.push({ type: 'handoff.touch', id: current.id });
        actions.push({ type: 'voice', row: current, voice: e.voice });
      } else if (e.type === 'handoff.close') {
        if (!current) continue;
        writes.push({ type: 'handoff.close', id: current.id });
        actions.push({ type: 'close', row: current, reason: e.reason });
        current = null;
      }
    }
    return actions;
  }

  /** Consent given or withdrawn in this turn, written in its transaction. */
  private subscriptionWrites(
    input: Incoming,
    lang: Lang,
    hadAny: boolean,
    effects: readonly Effect[],
  ): Write[] {
    const writes: Write[] = [{ type: 'broadcast.reply' }];
    if (hadAny) writes.push({ type: 'subscriptions.lang', lang });
    for (const e of effects) {
      if (e.type === 'subscribe')
        writes.push({
          type: 'subscribe',
          topic: e.topic,
          lang,
          channel: input.channel,
          address: this.addresses.seal(input.channel, input.user),
          how: e.how,
        });
      else if (e.type === 'unsubscribe') writes.push({ type: 'unsubscribe', topic: e.topic });
    }
    return writes;
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/** Letters and digits that cannot be mistaken for each other on a phone: no 0/O, 1/I/L. */
const PSEUDONYM_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';

/** A topic's name for staff: random, so it tells nothing about the user. */
export function pseudonym(): string {
  let out = '';
  for (let i = 0; i < 4; i++) out += PSEUDONYM_ALPHABET[randomInt(PSEUDONYM_ALPHABET.length)];
  return out;
}
