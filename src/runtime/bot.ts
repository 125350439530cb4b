import { hash } from 'node:crypto';
import type { Logger } from 'pino';
import { SqliteBroadcasts } from '../broadcast/store.js';
import type { LangHint } from '../engine/context.js';
import { runTurn } from '../engine/run.js';
import { type Effect, type Event, EventSchema, type OutMessage, type Session } from '../engine/types.js';
import type { AddressBox } from '../store/address.js';
import type { Db } from '../store/db.js';
import { Forgetter } from '../store/forget.js';
import { RecentMessages } from '../store/recent-messages.js';
import { Records } from '../store/records.js';
import { SqliteSessions } from '../store/sessions.js';
import { inboundTime } from '../store/times.js';
import type { UserKeys } from '../store/user-key.js';
import { SqliteSubscriptions } from '../subscriptions/store.js';
import type { Lang } from '../text/lang.js';
import type { Content } from './content.js';

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
  readonly subscriptions: SqliteSubscriptions;
  readonly broadcasts: SqliteBroadcasts;
  private readonly turnTx;
  private readonly forgetTx;

  constructor(
    private readonly db: Db,
    private content: Content,
    private readonly userKeys: UserKeys,
    readonly addresses: AddressBox,
    private readonly log: Logger,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.subscriptions = new SqliteSubscriptions(db, now);
    this.broadcasts = new SqliteBroadcasts(db, now);
    this.sessions = new SqliteSessions(db, now);
    this.records = new Records(db, now);
    this.forgetter = new Forgetter(db, this.sessions);
    this.recent = new RecentMessages(db, now);
    this.turnTx = db.transaction((input: Incoming) => this.turnInTx(input));
    this.forgetTx = db.transaction((key: string) => this.forgetter.forgetUser(key));
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
    try {
      this.forgetTx.immediate(this.userKeys.of(channel, user));
    } catch (e) {
      this.sessions.forgetCached();
      throw e;
    }
    this.forgotten(channel, user);
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
    const event = EventSchema.parse(input.event);
    let reply: ReturnType<typeof this.turnInTx>;
    try {
      reply = this.turnTx.immediate({ ...input, event });
    } catch (e) {
      this.sessions.forgetCached();
      throw e;
    }
    if (reply.reply.session === null) this.forgotten(input.channel, input.user);
    for (const m of reply.logs)
      this.log[m.level]({ code: m.code, flow: m.flow, step: m.step, channel: input.channel }, 'engine');
    return reply.reply;
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

  private turnInTx(input: Incoming) {
    const key = this.userKeys.of(input.channel, input.user);
    const stored = this.sessions.read(key);
    // Update ids are hashed too: a WhatsApp message id contains the phone number. 48 bits tell
    // a user's last deliveries apart and keep the session row small.
    const delivery = input.updateId
      ? hash('sha256', `${key}\u0000${input.updateId}`, 'base64url').slice(0, 8)
      : null;
    if (delivery && stored?.seen.includes(delivery)) {
      return {
        reply: {
          messages: [],
          lang: stored.session.lang ?? this.content.ctx.defaultLang,
          session: stored.session,
          duplicate: true,
          erase: [],
        },
        logs: [],
      };
    }
    const prior = stored?.session ?? null;
    const subscribed = this.subscriptions.topicsOf(key);
    const result = runTurn(this.content.ctx, prior, input.event, input.hint, subscribed);
    const session = result.session;
    // Read before the user is forgotten: afterwards nothing is left to say which messages were theirs.
    const erase = result.effects.some((e) => e.type === 'erase')
      ? [...this.recent.list(key), ...(input.messageId ? [input.messageId] : [])]
      : [];
    if (session) {
      const seen = delivery ? [...(stored?.seen ?? []), delivery] : (stored?.seen ?? []);
      // A clock ahead of ours must not stretch the window: never later than now.
      const inboundAt = inboundTime(Math.min(input.at ?? Number.POSITIVE_INFINITY, this.now()));
      this.sessions.write(key, input.channel, { session, seen, inboundAt });
      if (input.messageId) this.recent.append(key, [input.messageId]);
    } else {
      this.forgetter.forgetUser(key);
    }
    const known = session?.lang ?? prior?.lang ?? input.hint?.lang ?? null;
    const lang = known ?? this.content.ctx.defaultLang;
    if (session) this.applySubscriptions(key, input, lang, subscribed.length > 0, result.effects);
    this.records.apply(result.effects, {
      channel: input.channel,
      // A user still choosing their language is counted as such, not as the default language.
      lang: known,
      campaign: session?.campaign ?? prior?.campaign ?? null,
    });
    const logs = result.effects.flatMap((e) => (e.type === 'log' ? [e] : []));
    return { reply: { messages: result.messages, lang, session, duplicate: false, erase }, logs };
  }

  /** Consent given or withdrawn in this turn, written in its transaction. */
  private applySubscriptions(
    key: string,
    input: Incoming,
    lang: Lang,
    hadAny: boolean,
    effects: readonly Effect[],
  ): void {
    this.broadcasts.noteReply(key, this.now());
    if (hadAny) this.subscriptions.setLang(key, lang);
    for (const e of effects) {
      if (e.type === 'subscribe')
        this.subscriptions.add(key, {
          topic: e.topic,
          lang,
          channel: input.channel,
          address: this.addresses.seal(input.channel, input.user),
          how: e.how,
        });
      else if (e.type === 'unsubscribe') this.subscriptions.remove(key, e.topic);
    }
  }

  close(): void {
    this.db.close();
  }
}
