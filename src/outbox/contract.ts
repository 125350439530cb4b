import { z } from 'zod';

/**
 * Who goes first when the channel's limits hold messages back: replies to a person who is
 * waiting, then relays between a person and staff, then broadcasts.
 */
export const PRIORITY = { reply: 0, relay: 1, broadcast: 2 } as const;
export type Priority = (typeof PRIORITY)[keyof typeof PRIORITY];
export const PrioritySchema = z.union([z.literal(0), z.literal(1), z.literal(2)]);

/**
 * A row's state in the store's outbox table. The numbers are stored (and the migrations' partial
 * indexes name them), so they are never renumbered.
 */
export const OUTBOX_STATE = {
  pending: 0,
  /** Sent, kept (with a hash of the platform's id only) until its delivery is reported. */
  sent: 1,
  failed: 2,
  /** Waiting for the person to write again. */
  held: 3,
} as const;
/** The states of rows not sent yet (pending or held), as an SQL list: what `stop` and retention delete. */
export const UNSENT_STATES = `${OUTBOX_STATE.pending}, ${OUTBOX_STATE.held}`;

/** One outgoing call, as the turn decided it; its payload is the channel's own (see the channel's transport). */
export type NewOutgoing = {
  channel: string;
  /** The channel's address of the chat (a chat id, a phone number): sealed before it is stored. */
  address: string;
  payload: unknown;
  priority?: Priority;
};

/** A pending message as the store keeps it: address and payload sealed in `body`. */
export type StoredOutgoing = {
  id: number;
  channel: string;
  userKey: string;
  body: Uint8Array;
  priority: Priority;
  attempts: number;
  /** When the turn wrote it (ms). */
  createdAt: number;
};

/** A pending message opened for its sender. */
export type Claimed = Omit<StoredOutgoing, 'body'> & { address: string; payload: unknown };

/** Why a message was given up on; kept on the failed row (without its text) for the operator. */
export type FailReason =
  | 'rejected'
  | 'retries'
  | 'blocked'
  | 'unauthorized'
  | 'unreadable'
  /** The platform says the person cannot get messages (WhatsApp's 131026). */
  | 'undeliverable'
  /** A delivery report said the sent message failed, with the platform's error code. */
  | `status:${number}`;

/** Why a message waits in the outbox without being tried: until the person writes again. */
export type HoldReason = 'window' | 'reengagement';

/** What a platform said later about a message it had accepted. */
export type DeliveryStatus = 'delivered' | 'read' | 'failed';

export type OutboxStats = { backlog: number; oldestPendingMs: number | null };

/**
 * How long a claimed message stays with the sender that claimed it. Another instance (on a
 * shared PostgreSQL) may send it after that: a sender that died mid-send loses nothing.
 */
export const LEASE_MS = 60_000;

/**
 * The outbox's persistence, one implementation per store engine. Rows are written by the turn
 * (the `outbox` write, in the turn's transaction); the rest are small transactions of their
 * own. A chat's messages go in the order they were written: only the oldest pending message of
 * a chat is ever handed out, and only to one sender at a time (a lease), across instances.
 */
export interface OutboxStore {
  /**
   * The oldest pending message of each chat of `channel` that is due at `now` and not leased to
   * another sender, replies first; at most `limit`, skipping `busy` chats. Leases what it returns.
   */
  claim(channel: string, now: number, limit: number, busy: ReadonlySet<string>): Promise<StoredOutgoing[]>;
  /** One chat's oldest pending message, when it is due at `now` and free; leased as by claim. */
  head(channel: string, userKey: string, now: number): Promise<StoredOutgoing | null>;
  /**
   * Sent: the row goes, text and address with it; the platform's ids of the message are kept
   * for a quick exit to delete (nothing is kept for a user without a session). One transaction.
   * With `ref` (a keyed hash of the platform's message id) the row stays, without text, address
   * or user key, until the platform reports the delivery (`status`) or the purge.
   */
  markSent(id: number, userKey: string, ids: readonly string[], ref?: string): Promise<void>;
  /**
   * Not to be tried until the person writes again (`release`): the row keeps its place in the
   * chat's order, its sealed text and the reason.
   */
  hold(id: number, reason: HoldReason): Promise<void>;
  /** The person wrote: their held messages are pending again, due at `now`. Returns how many. */
  release(userKey: string, now: number): Promise<number>;
  /**
   * A delivery report for the sent message whose `ref` it is: delivered or read, the row goes;
   * failed, it is marked failed with `reason`. False when no such sent message is kept.
   */
  status(channel: string, ref: string, status: DeliveryStatus, reason?: FailReason): Promise<boolean>;
  /** How many messages of `priority` a user has not been sent yet (pending or held), on `channel`. */
  unsent(channel: string, userKey: string, priority: Priority): Promise<number>;
  /** Held messages by reason (of `channel`, or all). */
  heldCounts(channel?: string): Promise<Array<{ reason: string; count: number }>>;
  /** Given up on: the text and address go, the reason stays until the purge. */
  markFailed(id: number, reason: FailReason): Promise<void>;
  /** Not sent this time: try again at `at`; the lease ends. */
  retryAt(id: number, at: number, reason: string): Promise<void>;
  /** Everything pending for a user (a block seen by the sender). */
  deleteUser(userKey: string): Promise<void>;
  stats(now: number, channel?: string): Promise<OutboxStats>;
  /** Failed rows, and sent rows still kept for their delivery report, older than `before` go. */
  purge(before: number): Promise<number>;
}
