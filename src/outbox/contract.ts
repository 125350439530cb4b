import { z } from 'zod';

/**
 * Who goes first when the channel's limits hold messages back: replies to a person who is
 * waiting, then relays between a person and staff, then broadcasts.
 */
export const PRIORITY = { reply: 0, relay: 1, broadcast: 2 } as const;
export type Priority = (typeof PRIORITY)[keyof typeof PRIORITY];

/** One outgoing call, as the turn decided it; its payload is the channel's own (see the channel's transport). */
export const NewOutgoingSchema = z.object({
  channel: z.string().min(1),
  userKey: z.string().min(1),
  /** The channel's address of the chat (a chat id, a phone number): sealed before it is stored. */
  address: z.string().min(1),
  payload: z.unknown(),
  priority: z.union([z.literal(0), z.literal(1), z.literal(2)]).default(0),
});
export type NewOutgoing = z.input<typeof NewOutgoingSchema>;

export type Claimed = {
  id: number;
  channel: string;
  userKey: string;
  address: string;
  payload: unknown;
  priority: Priority;
  attempts: number;
  /** When the turn wrote it (ms). */
  createdAt: number;
};

/** Why a message was given up on; kept on the failed row (without its text) for the operator. */
export type FailReason = 'rejected' | 'retries' | 'blocked' | 'unauthorized';

export type OutboxStats = { backlog: number; oldestPendingMs: number | null };

/**
 * The outbox's persistence: one implementation per store engine. `enqueue` runs inside the
 * turn's transaction; the rest are small transactions of their own. A chat's messages go in the
 * order they were written: only the oldest pending message of a chat is ever handed out.
 */
export interface OutboxStore {
  enqueue(rows: readonly NewOutgoing[]): void;
  /** The oldest pending message of each chat of `channel` that is due at `now`, replies first; at most `limit`, skipping `busy` chats. */
  claim(channel: string, now: number, limit: number, busy: ReadonlySet<string>): Claimed[];
  /** One chat's oldest pending message, when it is due at `now`. */
  head(channel: string, userKey: string, now: number): Claimed | null;
  /** Sent: the row goes, text and address with it. */
  markSent(id: number): void;
  /** Given up on: the text and address go, the reason stays until the purge. */
  markFailed(id: number, reason: FailReason): void;
  /** Not sent this time: try again at `at`. */
  retryAt(id: number, at: number, reason: string): void;
  /** Everything pending for a user (stop, quick exit, a block): runs inside the caller's transaction. */
  deleteUser(userKey: string): void;
  stats(now: number, channel?: string): OutboxStats;
  /** Failed rows older than `before` go. */
  purge(before: number): number;
}
