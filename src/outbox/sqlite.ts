import type { Statement } from 'better-sqlite3';
import type { Db } from '../store/db.js';
import {
  type Claimed,
  type FailReason,
  type NewOutgoing,
  NewOutgoingSchema,
  type OutboxStats,
  type OutboxStore,
  type Priority,
} from './contract.js';
import type { AddressSeal } from './seal.js';

const PENDING = 0;
const FAILED = 2;

type Row = {
  id: number;
  user_key: string;
  priority: number;
  body: Buffer;
  attempts: number;
  created_at: number;
};

/** The outbox on SQLite, in the bot's one database file. */
export class SqliteOutbox implements OutboxStore {
  private readonly insert: Statement;
  private readonly heads: Statement<[{ channel: string; now: number; limit: number }], Row>;
  private readonly headOf: Statement<[{ key: string }], Row & { next_at: number }>;
  private readonly remove: Statement<[number]>;
  private readonly fail: Statement<[string, number, number]>;
  private readonly retry: Statement<[number, string, number]>;
  private readonly byUser: Statement<[string]>;
  private readonly count: Statement<[{ channel: string | null }], { n: number; oldest: number | null }>;
  private readonly purgeStmt: Statement<[number]>;

  constructor(
    db: Db,
    private readonly seal: AddressSeal,
    private readonly now: () => number = Date.now,
  ) {
    this.insert = db.prepare(
      `INSERT INTO outbox (channel, user_key, priority, state, body, created_at, next_at)
       VALUES (?, ?, ?, ${PENDING}, ?, ?, ?)`,
    );
    // Only the oldest pending message of each chat, so a chat's messages go in order.
    this.heads = db.prepare(
      `SELECT o.id, o.user_key, o.priority, o.body, o.attempts, o.created_at FROM outbox o
       WHERE o.channel = @channel AND o.state = ${PENDING} AND o.next_at <= @now
         AND o.id = (SELECT min(p.id) FROM outbox p WHERE p.user_key = o.user_key AND p.state = ${PENDING})
       ORDER BY o.priority, o.id LIMIT @limit`,
    );
    this.headOf = db.prepare(
      `SELECT id, user_key, priority, body, attempts, created_at, next_at FROM outbox
       WHERE user_key = @key AND state = ${PENDING} ORDER BY id LIMIT 1`,
    );
    this.remove = db.prepare('DELETE FROM outbox WHERE id = ?');
    this.fail = db.prepare(
      `UPDATE outbox SET state = ${FAILED}, body = x'', user_key = '', reason = ?, next_at = ? WHERE id = ?`,
    );
    this.retry = db.prepare(
      'UPDATE outbox SET next_at = ?, reason = ?, attempts = attempts + 1 WHERE id = ?',
    );
    this.byUser = db.prepare(`DELETE FROM outbox WHERE user_key = ? AND state = ${PENDING}`);
    this.count = db.prepare(
      `SELECT count(*) AS n, min(created_at) AS oldest FROM outbox
       WHERE state = ${PENDING} AND (@channel IS NULL OR channel = @channel)`,
    );
    this.purgeStmt = db.prepare(`DELETE FROM outbox WHERE state = ${FAILED} AND next_at < ?`);
  }

  enqueue(rows: readonly NewOutgoing[]): void {
    const now = this.now();
    for (const raw of rows) {
      const row = NewOutgoingSchema.parse(raw);
      const body = this.seal.seal(JSON.stringify({ a: row.address, p: row.payload }));
      this.insert.run(row.channel, row.userKey, row.priority, body, now, now);
    }
  }

  claim(channel: string, now: number, limit: number, busy: ReadonlySet<string>): Claimed[] {
    const out: Claimed[] = [];
    for (const r of this.heads.all({ channel, now, limit: limit + busy.size })) {
      if (busy.has(r.user_key)) continue;
      out.push(this.open(channel, r));
      if (out.length >= limit) break;
    }
    return out;
  }

  head(channel: string, userKey: string, now: number): Claimed | null {
    const r = this.headOf.get({ key: userKey });
    return r && r.next_at <= now ? this.open(channel, r) : null;
  }

  private open(channel: string, r: Row): Claimed {
    const { a, p } = JSON.parse(this.seal.open(r.body)) as { a: string; p: unknown };
    return {
      id: r.id,
      channel,
      userKey: r.user_key,
      address: a,
      payload: p,
      priority: r.priority as Priority,
      attempts: r.attempts,
      createdAt: r.created_at,
    };
  }

  markSent(id: number): void {
    this.remove.run(id);
  }

  markFailed(id: number, reason: FailReason): void {
    this.fail.run(reason, this.now(), id);
  }

  retryAt(id: number, at: number, reason: string): void {
    this.retry.run(at, reason, id);
  }

  deleteUser(userKey: string): void {
    this.byUser.run(userKey);
  }

  stats(now: number, channel?: string): OutboxStats {
    const r = this.count.get({ channel: channel ?? null })!;
    return { backlog: r.n, oldestPendingMs: r.oldest === null ? null : Math.max(0, now - r.oldest) };
  }

  purge(before: number): number {
    return this.purgeStmt.run(before).changes;
  }
}
