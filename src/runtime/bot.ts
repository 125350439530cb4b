import { hash } from 'node:crypto';
import type { Logger } from 'pino';
import type { LangHint } from '../engine/context.js';
import { runTurn } from '../engine/run.js';
import { type Event, EventSchema, type OutMessage, type Session } from '../engine/types.js';
import type { Metrics } from '../http/metrics.js';
import type { NewOutgoing } from '../outbox/contract.js';
import type { AddressSeal } from '../outbox/seal.js';
import { SqliteOutbox } from '../outbox/sqlite.js';
import type { Db } from '../store/db.js';
import { isStoreError, StoreFault, storeFaultCode } from '../store/fault.js';
import type { DbFileWatch } from '../store/file-watch.js';
import { Forgetter } from '../store/forget.js';
import { RecentMessages } from '../store/recent-messages.js';
import { Records } from '../store/records.js';
import { SqliteSessions } from '../store/sessions.js';
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
    render: (messages: readonly OutMessage[], erase: readonly string[]) => unknown[];
  };
};

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

/**
 * The host around the pure engine: one turn is one SQLite transaction that loads the
 * session, runs the engine, saves or deletes the session and records the effects.
 * Sending the messages is the channel's job, after the commit.
 */
export class Bot {
  readonly sessions: SqliteSessions;
  readonly records: Records;
  readonly forgetter: Forgetter;
  readonly recent: RecentMessages;
  readonly outbox: SqliteOutbox;
  /** Per channel: called after a turn wrote outgoing messages, so the channel's sender looks at once. */
  readonly wakers = new Map<string, (userKey: string) => void>();
  /** Tells when the database file was deleted under the bot. */
  fileWatch?: DbFileWatch;
  /** Counts for /metrics, when the app serves them. */
  metrics?: Metrics;
  private readonly turnTx;
  private readonly forgetTx;
  private readonly sentTx;

  constructor(
    private readonly db: Db,
    private content: Content,
    private readonly userKeys: UserKeys,
    private readonly log: Logger,
    seal: AddressSeal,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.sessions = new SqliteSessions(db, now);
    this.records = new Records(db, now);
    this.outbox = new SqliteOutbox(db, seal, now);
    this.forgetter = new Forgetter(db, this.sessions, this.outbox);
    this.recent = new RecentMessages(db, now);
    this.turnTx = db.transaction((input: Incoming) => this.turnInTx(input));
    this.forgetTx = db.transaction((key: string) => this.forgetter.forgetUser(key));
    this.sentTx = db.transaction((rowId: number, key: string, ids: readonly string[]) => {
      this.outbox.markSent(rowId);
      if (ids.length) this.recent.append(key, ids);
    });
  }

  /** The stored key of a user: tests and tools use it, never the raw id. */
  userKeyOf(channel: string, user: string): string {
    return this.userKeys.of(channel, user);
  }

  /**
   * Deletes everything stored for a user outside a conversation turn, as when they block the
   * bot. "stop" and quick exit take the same path from inside their turn.
   */
  forgetUser(channel: string, user: string): void {
    const key = this.userKeys.of(channel, user);
    try {
      this.forgetTx.immediate(key);
    } catch (e) {
      this.sessions.forgetCached();
      throw e;
    }
    this.forgotten(channel, user);
    // The sender may hold the user's next message already: it looks again, and finds none.
    this.wakers.get(channel)?.(key);
  }

  /** As forgetUser, by the stored key: the outbox knows only that (a user who blocked the bot). */
  forgetKey(key: string): void {
    try {
      this.forgetTx.immediate(key);
    } catch (e) {
      this.sessions.forgetCached();
      throw e;
    }
    this.forgetter.wipe();
  }

  /**
   * The minute of the user's last message, or null when nothing is stored for them: WhatsApp's
   * Cloud API delivers free-form messages only within 24 hours of it.
   */
  lastInbound(channel: string, user: string): number | null {
    return this.sessions.lastInbound(this.userKeys.of(channel, user));
  }

  get current(): Content {
    return this.content;
  }

  /** Swaps in a new content version; turns in progress finish on the old one. */
  setContent(content: Content): void {
    this.content = content;
  }

  handle(input: Incoming): Reply {
    const started = performance.now();
    const event = EventSchema.parse(input.event);
    let reply: ReturnType<typeof this.turnInTx>;
    try {
      reply = this.turnTx.immediate({ ...input, event });
    } catch (e) {
      this.sessions.forgetCached();
      if (isStoreError(e)) throw this.storeFailed(e);
      throw e;
    }
    if (this.storeState.state !== 'ok') {
      this.log.info({ code: 'store.recovered', was: this.storeState.fault }, 'the store commits again');
      this.storeState = { state: 'ok', fault: null };
    }
    if (reply.reply.session === null) this.forgotten(input.channel, input.user);
    if (reply.queued) this.wakers.get(input.channel)?.(this.userKeys.of(input.channel, input.user));
    if (this.metrics && !reply.reply.duplicate) {
      this.metrics.turns.inc({ channel: input.channel });
      this.metrics.turnDuration.observe({ channel: input.channel }, (performance.now() - started) / 1000);
      for (const e of reply.effects) {
        if (e.type === 'unanswered') this.metrics.unanswered.inc();
        else if (e.type === 'metric' && e.name === 'safety_card') this.metrics.safetyCards.inc();
      }
    }
    for (const m of reply.logs)
      this.log[m.level]({ code: m.code, flow: m.flow, step: m.step, channel: input.channel }, 'engine');
    return reply.reply;
  }

  private storeState: { state: 'ok' | 'fault'; fault: string | null } = { state: 'ok', fault: null };

  /** The store's state as the last turn found it, and whether its file is still there, for /health. */
  get store(): { state: 'ok' | 'fault' | 'missing'; fault: string | null } {
    if (this.fileWatch?.missing) return { state: 'missing', fault: 'file deleted' };
    return this.storeState;
  }
  private readonly quiet = new LogThrottle();

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

  /** After the commit of a forget: the deleted pages leave the WAL, the id leaves memory. */
  private forgotten(channel: string, user: string): void {
    this.forgetter.wipe();
    this.userKeys.drop(channel, user);
  }

  /**
   * Remembers the ids of messages the channel sent to a user, known only once they are sent, so
   * that a quick exit can delete them. Nothing is kept for a user who has been forgotten.
   */
  recordSent(channel: string, user: string, ids: readonly string[]): void {
    if (ids.length) this.recent.append(this.userKeys.of(channel, user), ids);
  }

  /** The outbox's sender: a message went; its row goes and its ids are kept for a quick exit, at once. */
  sentFromOutbox(rowId: number, key: string, ids: readonly string[]): void {
    this.sentTx(rowId, key, ids);
  }

  private turnInTx(input: Incoming) {
    const key = this.userKeys.of(input.channel, input.user);
    const stored = this.sessions.read(key);
    // Update ids are hashed too: a WhatsApp message id contains the phone number. 48 bits tell
    // a user's last deliveries apart and keep the session row small.
    const delivery = input.updateId
      ? hash('sha256', `${key}\u0000${input.updateId}`, 'base64url').slice(0, 8)
      : null;
    const once = input.once ? hash('sha256', `${key}\u0001${input.once}`, 'base64url').slice(0, 8) : null;
    if ((delivery && stored?.seen.includes(delivery)) || (once && stored?.seen.includes(once))) {
      return {
        reply: {
          messages: [],
          lang: stored.session.lang ?? this.content.ctx.defaultLang,
          session: stored.session,
          duplicate: true,
          erase: [],
        },
        logs: [],
        queued: false,
        effects: [],
      };
    }
    const prior = stored?.session ?? null;
    const result = runTurn(this.content.ctx, prior, input.event, input.hint);
    const session = result.session;
    // Read before the user is forgotten: afterwards nothing is left to say which messages were theirs.
    const erase = result.effects.some((e) => e.type === 'erase')
      ? [...this.recent.list(key), ...(input.messageId ? [input.messageId] : [])]
      : [];
    if (session) {
      const marks = [delivery, once].filter((m): m is string => m !== null);
      const seen = [...(stored?.seen ?? []), ...marks];
      // A clock ahead of ours must not stretch the window: never later than now.
      const inboundAt = inboundTime(Math.min(input.at ?? Number.POSITIVE_INFINITY, this.now()));
      this.sessions.write(key, input.channel, { session, seen, inboundAt });
      if (input.messageId) this.recent.append(key, [input.messageId]);
    } else {
      this.forgetter.forgetUser(key);
    }
    const known = session?.lang ?? prior?.lang ?? input.hint?.lang ?? null;
    const lang = known ?? this.content.ctx.defaultLang;
    this.records.apply(result.effects, {
      channel: input.channel,
      // A user still choosing their language is counted as such, not as the default language.
      lang: known,
      campaign: session?.campaign ?? prior?.campaign ?? null,
    });
    const logs = result.effects.flatMap((e) => (e.type === 'log' ? [e] : []));
    let queued = false;
    if (input.deliver) {
      const address = input.deliver.address;
      const rows: NewOutgoing[] = input.deliver
        .render(result.messages, erase)
        .map((payload) => ({ channel: input.channel, userKey: key, address, payload, priority: 0 }));
      this.outbox.enqueue(rows);
      queued = rows.length > 0;
    }
    return {
      reply: { messages: result.messages, lang, session, duplicate: false, erase },
      logs,
      queued,
      effects: result.effects,
    };
  }

  close(): void {
    this.db.close();
  }
}
