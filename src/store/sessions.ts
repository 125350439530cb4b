import { type Session, SessionSchema } from '../engine/types.js';
import type { Db } from './db.js';

/** Session storage as three calls, the shape grammY uses for its storage adapters. */
/** Redelivered updates come within hours; two days of update keys is plenty. */
const DEDUPE_DAYS = 2;

export interface SessionStorage {
  read(key: string): Session | null;
  write(key: string, channel: string, session: Session): void;
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
    this.readStmt = db.prepare<[string], { state: string }>('SELECT state FROM sessions WHERE user_key = ?');
    this.writeStmt = db.prepare(
      `INSERT INTO sessions (user_key, channel, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (user_key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
    );
    this.deleteStmt = db.prepare('DELETE FROM sessions WHERE user_key = ?');
  }

  read(key: string): Session | null {
    const row = this.readStmt.get(key);
    if (!row) return null;
    // A row from an older version that no longer parses starts over rather than failing the turn.
    const parsed = SessionSchema.safeParse(JSON.parse(row.state));
    return parsed.success ? parsed.data : null;
  }

  write(key: string, channel: string, session: Session): void {
    const now = this.now();
    this.writeStmt.run(key, channel, JSON.stringify(session), now, now);
  }

  delete(key: string): void {
    this.deleteStmt.run(key);
  }

  /** Deletes sessions idle for more than `days`; returns how many. */
  purgeIdle(days: number): number {
    if (days <= 0) return 0;
    const cutoff = this.now() - days * 86_400_000;
    const purged = this.db.prepare('DELETE FROM sessions WHERE updated_at < ?').run(cutoff).changes;
    this.db.prepare('DELETE FROM processed_updates WHERE at < ?').run(this.now() - DEDUPE_DAYS * 86_400_000);
    return purged;
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n;
  }
}
