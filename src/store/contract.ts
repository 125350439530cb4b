import { z } from 'zod';
import type { BroadcastStore } from '../broadcast/store.js';
import { ConsentHowSchema, SessionSchema } from '../engine/types.js';
import type { FaqEntry } from '../faq/schema.js';
import { type OutboxStore, PrioritySchema } from '../outbox/contract.js';
import type { PerDay, Report } from '../report/report.js';
import type { SubscriptionStore } from '../subscriptions/store.js';
import { LangSchema } from '../text/lang.js';
import type { HandoffRow } from './handoffs.js';

export type { HandoffRow } from './handoffs.js';

/**
 * What the host persists, behind one interface with an implementation per engine: SQLite
 * (src/store/sqlite, the default) and PostgreSQL (src/store/postgres, for several instances).
 * Both run the same contract suite (test/store-contract.test.ts).
 */

/** A stored session, with the last deliveries handled for this user and the minute of their last message. */
export type Stored = { session: z.infer<typeof SessionSchema>; seen: string[]; inboundAt?: number };

/** How many recent deliveries per user are remembered: redeliveries come soon after. */
export const SEEN_KEPT = 20;

const nullableText = z.string().nullable();

/**
 * What one turn changes, as data: the engine's host decides, the store applies the list in
 * order inside the turn's transaction. A new feature adds a variant here and its application
 * in every engine.
 */
export const WriteSchema = z.discriminatedUnion('type', [
  /** Saves the user's session; `inboundAt` absent keeps the stored minute of their last message. */
  z.object({
    type: z.literal('session.put'),
    channel: z.string(),
    session: SessionSchema,
    seen: z.array(z.string()),
    inboundAt: z.number().int().optional(),
  }),
  /** Deletes everything stored under the user's key ("stop", quick exit, a blocked bot). */
  z.object({ type: z.literal('forget') }),
  /** Adds ids of the chat's messages, for a quick exit to delete; nothing is kept without a session. */
  z.object({ type: z.literal('recent.append'), ids: z.array(z.string()) }),
  /** A counted event: no user key, the hour only. */
  z.object({
    type: z.literal('event'),
    name: z.string(),
    channel: z.string(),
    lang: nullableText,
    campaign: nullableText,
    flow: nullableText,
    faq: nullableText,
  }),
  z.object({ type: z.literal('feedback'), faq: z.string(), lang: nullableText, helpful: z.boolean() }),
  /** A question without an answer, scrubbed before it gets here. */
  z.object({ type: z.literal('unanswered'), lang: z.string(), query: z.string() }),
  /**
   * The user said yes to news on a topic: the consent is kept with the hour (the store's clock),
   * how it was given, and the address sealed with a key outside the database (store/address.ts).
   * A yes given twice keeps the first consent.
   */
  z.object({
    type: z.literal('subscribe'),
    topic: z.string(),
    lang: LangSchema,
    channel: z.string(),
    address: z.string(),
    how: ConsentHowSchema,
  }),
  z.object({ type: z.literal('unsubscribe'), topic: z.string() }),
  /** The user's language changed: their news comes in the new one. */
  z.object({ type: z.literal('subscriptions.lang'), lang: LangSchema }),
  /** The user wrote: a broadcast message sent to them in the last 24 hours counts a reply. */
  z.object({ type: z.literal('broadcast.reply') }),
  /**
   * A conversation with a person opens for the turn's user. `address` is their channel id
   * sealed with the key secret, for staff replies; no text of theirs is ever stored.
   */
  z.object({
    type: z.literal('handoff.open'),
    id: z.string().min(1),
    channel: z.string(),
    address: z.string(),
    pseudonym: z.string(),
    lang: LangSchema,
  }),
  /** The user wrote to the person: the idle clock of their open conversation starts again. */
  z.object({ type: z.literal('handoff.touch'), id: z.string() }),
  /** The user's open conversation closes: its user key and address go, its times keep the hour. */
  z.object({ type: z.literal('handoff.close'), id: z.string() }),
  /**
   * An outgoing message for the turn's user, sent by the channel's sender once the turn has
   * committed. `body` holds the chat's address and the payload, sealed by the host with a key
   * the store does not hold.
   */
  z.object({
    type: z.literal('outbox'),
    channel: z.string().min(1),
    priority: PrioritySchema,
    body: z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'bytes'),
  }),
  /** The user wrote: their held messages (outside WhatsApp's window) go again, before this turn's. */
  z.object({ type: z.literal('outbox.release') }),
]);
export type Write = z.infer<typeof WriteSchema>;

/** What a turn reads under its lock. `recent` is read only by the turns that need it (quick exit). */
export type Loaded = {
  stored: Stored | null;
  recent: () => string[];
  /** The topics the user is subscribed to, sorted. */
  subscribed: string[];
  /** The user's open conversation with a person, if any. */
  handoff: () => HandoffRow | null;
};

/** The outcome of a turn's decision: what to return to the caller, and what to store. */
export type Decision<R> = { result: R; writes: Write[] };

/** A scrubbed question without an answer, with how often and when it was last asked (ms, to the hour). */
export type UnansweredRow = { lang: string; query: string; count: number; last: number };

export type Purged = { sessions: number; events: number; feedback: number; unanswered: number };

/** A version of the content that loaded without errors: the text of each file by its relative path. */
export type ContentSnapshot = { version: string; savedAt: number; files: Record<string, string> };

export type ImportReport = { added: number; updated: number; removed: number; unchanged: number };

/** The rows of each table, engine-neutral, for `cli store copy`. */
export type Rows = {
  sessions: {
    userKey: string;
    channel: string;
    state: string;
    seen: string;
    recent: string;
    updatedAt: number;
    inboundAt: number;
  };
  events: {
    at: number;
    name: string;
    channel: string;
    lang: string | null;
    campaign: string | null;
    flow: string | null;
    faq: string | null;
  };
  feedback: { at: number; faq: string; lang: string | null; helpful: boolean };
  unanswered: { at: number; lang: string; query: string };
  dailyCounts: {
    day: number;
    name: string;
    channel: string;
    lang: string;
    campaign: string;
    flow: string;
    faq: string;
    count: number;
  };
  contentSnapshots: ContentSnapshot;
  /** Conversations with a person: a sealed address only while open, counts after. */
  handoffs: {
    id: string;
    userKey: string | null;
    channel: string;
    address: string | null;
    pseudonym: string;
    lang: string;
    thread: string | null;
    openedAt: number;
    repliedFast: number | null;
    lastAt: number;
    closedAt: number | null;
  };
  mediaUploads: { channel: string; account: string; sha256: string; mediaId: string; at: number };
  subscriptions: {
    userKey: string;
    topic: string;
    lang: string;
    channel: string;
    address: string;
    consentAt: number;
    consentHow: string;
  };
  broadcasts: {
    id: number;
    topic: string;
    texts: string;
    missing: string;
    status: string;
    createdAt: number;
    queuedAt: number | null;
    doneAt: number | null;
  };
  /** Claims are not copied: the sending instance claims again. */
  broadcastDeliveries: {
    id: number;
    broadcastId: number;
    userKey: string;
    channel: string;
    lang: string;
    address: string;
    state: string;
    sentAt: number | null;
    replied: boolean;
  };
  /**
   * Messages not sent yet, in the order they were written: pending (state 0) or held until the
   * person writes again (state 3, with its reason). Body (address and text) stays sealed with the
   * key of the user key secret, which the new instances share; leases are not copied.
   */
  outbox: {
    channel: string;
    userKey: string;
    priority: number;
    state: number;
    body: Uint8Array;
    attempts: number;
    createdAt: number;
    nextAt: number;
    reason: string | null;
    /** The broadcast delivery a message carries: without it a copied one would be moved again. */
    deliveryId: number | null;
  };
};
export type Table = keyof Rows;
/** Some rows of one table: a store is copied in chunks, never held whole in memory. */
export type Chunk = { [T in Table]: { table: T; rows: Array<Rows[T]> } }[Table];

/** What a channel's voice sender needs: recordings go up once per bot, and are sent by id after. */
export type MediaUploads = Pick<Store, 'mediaUpload' | 'saveMediaUpload' | 'dropMediaUpload'>;

export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  /** The messages turns wrote, for the channels' senders. */
  readonly outbox: OutboxStore;
  /** Subscriptions outside turns (consent is given and withdrawn by a turn's writes). */
  readonly subscriptions: SubscriptionStore;
  /** Broadcasts and their deliveries, for `cli broadcast`, the report and the sending worker. */
  readonly broadcasts: BroadcastStore;
  /**
   * One turn of one user: locks the user's key (across instances on PostgreSQL), loads what the
   * turn needs, calls `decide` synchronously, applies its writes and commits. Turns of the same
   * key run one after the other; a failed turn stores nothing.
   */
  turn<R>(key: string, decide: (loaded: Loaded) => Decision<R>): Promise<R>;
  /**
   * Conversations with a person, from the staff side (outside the user's turns). Writes by a
   * turn are scoped to its user; these find a conversation by its id or its inbox topic.
   */
  handoff(id: string): Promise<HandoffRow | null>;
  /** The latest conversation in an inbox topic, open or closed. */
  handoffByThread(thread: string): Promise<HandoffRow | null>;
  /** Records the inbox's topic of a conversation, once the inbox opened it. */
  setHandoffThread(id: string, thread: string): Promise<void>;
  /** A staff member answered an open conversation: the first answer within an hour is counted. */
  handoffReplied(id: string): Promise<void>;
  /**
   * Closes a conversation whose user is gone (no session to run a turn on), under the user's
   * lock while it still names one; false when it was closed already.
   */
  closeHandoff(id: string): Promise<boolean>;
  /** Open conversations without a message since `before`. */
  idleHandoffs(before: number): Promise<HandoffRow[]>;
  /** The stored session of a key, outside a turn (tools, tests). */
  session(key: string): Promise<Stored | null>;
  /** Deletes everything stored under a key, outside a turn (a user who blocked the bot). */
  forget(key: string): Promise<void>;
  /** Remembers ids of messages sent to a user; nothing is kept for a user without a session. */
  appendRecent(key: string, ids: readonly string[]): Promise<void>;
  /** The minute of the user's last message; null without a session. */
  lastInbound(key: string): Promise<number | null>;
  /** Retention: deletes sessions idle since before `cutoff` and older records (counted per day first). */
  purge(cutoff: number): Promise<Purged>;
  /** The staff report's counts since `sinceMs`. */
  report(sinceMs: number): Promise<Report>;
  /** Every scrubbed unanswered question since `sinceMs`, grouped: most asked first, then latest. */
  unanswered(sinceMs: number): Promise<UnansweredRow[]>;
  /** Conversations started per day (UTC) and language since `sinceMs`, oldest first: the studio's chart. */
  conversationsPerDay(sinceMs: number): Promise<PerDay>;
  /** The last good content version. */
  latestContent(): Promise<ContentSnapshot | null>;
  /** Keeps a version as the last good one; false when it already is. */
  saveContent(version: string, files: Record<string, string>): Promise<boolean>;
  /** Copies the FAQ entries into the store, as loaded from the files. */
  importFaq(entries: Iterable<FaqEntry>): Promise<ImportReport>;
  /**
   * The id a channel gave a recorded answer when it was uploaded (Telegram's file_id, the Cloud
   * API's media id), by the file's hash and the account it belongs to (bot, phone number id);
   * null when there is none or it is older than `maxAgeMs`. Content only, never about a user.
   */
  mediaUpload(channel: string, account: string, sha256: string, maxAgeMs?: number): Promise<string | null>;
  /** Keeps the id of an upload, replacing an older one for the same file. */
  saveMediaUpload(channel: string, account: string, sha256: string, mediaId: string): Promise<void>;
  /** The channel no longer knows the id: the next send uploads the file again. */
  dropMediaUpload(channel: string, account: string, sha256: string): Promise<void>;
  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  deleteMeta(key: string): Promise<void>;
  /** How many sessions are stored. */
  countSessions(): Promise<number>;
  /** Every row, in chunks, for copying to another store. */
  dump(): AsyncIterable<Chunk>;
  /**
   * Adds the chunks' rows in one transaction: sessions replace those of the same key; records
   * are refused when the store holds some already, so that a second copy never counts twice.
   */
  load(chunks: AsyncIterable<Chunk>): Promise<Record<Table, number>>;
  close(): Promise<void>;
}
