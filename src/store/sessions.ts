import { type Session, SessionSchema } from '../engine/types.js';
import type { Db } from './db.js';

/** Session storage as three calls, the shape grammY uses for its storage adapters. */
/** A stored session, with the last deliveries handled for this user (hashed update ids). */
export type Stored = { session: Session; seen: string[] };

/** How many recent deliveries per user are remembered: redeliveries come soon after. */
export const SEEN_KEPT = 20;

export interface SessionStorage {
  read(key: string): Stored | null;
  write(key: string, channel: string, stored: Stored): void;
  delete(key: string): void;
}

export class SqliteSessions implements SessionStorage {
  private readonly readStmt;
  private readonly writeStmt;
  private readonly deleteStmt;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.readStmt = db.prepare<[string], { state: string; seen: string }>(
      'SELECT state, seen FROM sessions WHERE user_key = ?',
    );
    this.writeStmt = db.prepare(
      `INSERT INTO sessions (user_key, channel, state, seen, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (user_key) DO UPDATE SET state = excluded.state, seen = excluded.seen, updated_at = excluded.updated_at`,
    );
    this.deleteStmt = db.prepare('DELETE FROM sessions WHERE user_key = ?');
  }

  read(key: string): Stored | null {
    const row = this.readStmt.get(key);
    if (!row) return null;
    // A row from an older version that no longer parses starts over rather than failing the turn.
    const parsed = SessionSchema.safeParse(JSON.parse(row.state));
    if (!parsed.success) return null;
    return { session: parsed.data, seen: row.seen ? row.seen.split(',') : [] };
  }

  write(key: string, channel: string, stored: Stored): void {
    const now = this.now();
    this.writeStmt.run(
      key,
      channel,
      JSON.stringify(stored.session),
      stored.seen.slice(-SEEN_KEPT).join(','),
      now,
      now,
    );
  }

  delete(key: string): void {
    this.deleteStmt.run(key);
  }

  /** Deletes sessions idle for more than `days`; returns how many. */
  purgeIdle(days: number): number {
    if (days <= 0) return 0;
    const cutoff = this.now() - days * 86_400_000;
    return this.db.prepare('DELETE FROM sessions WHERE updated_at < ?').run(cutoff).changes;
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n;
  }
}
