import { SessionSchema } from '../../engine/types.js';
import { SEEN_KEPT, type Stored } from '../contract.js';
import { DAY, sessionTime } from '../times.js';
import type { Db } from './db.js';

export { SEEN_KEPT, type Stored };

/** How many recently used sessions stay parsed in memory: about one campaign's active users. */
export const SESSIONS_CACHED = 10_000;

/** Session storage as three calls, the shape grammY uses for its storage adapters. */
export interface SessionStorage {
  read(key: string): Stored | null;
  write(key: string, channel: string, stored: Stored): void;
  delete(key: string): void;
}

type Row = { key: string; channel: string; state: string; seen: string; now: number; inbound: number | null };

/** A row as this connection knows it; `stored` is null for a row that no longer parses. */
type Known = { id: number; stored: Stored | null };

export class SqliteSessions implements SessionStorage {
  private readonly readStmt;
  private readonly insertStmt;
  private readonly updateStmt;
  private readonly deleteStmt;
  private readonly versionStmt;
  /**
   * Rows as this connection last read or wrote them, least recently used first. They stay
   * valid until another connection commits to the file, which PRAGMA data_version reveals.
   * Stored values are never changed in place: the engine works on copies.
   */
  private readonly known = new Map<string, Known>();
  private version = -1;

  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.readStmt = db.prepare<[string], { id: number; state: string; seen: string; inbound_at: number }>(
      'SELECT id, state, seen, inbound_at FROM sessions WHERE user_key = ?',
    );
    this.insertStmt = db.prepare<[Row], { id: number }>(
      `INSERT INTO sessions (user_key, channel, state, seen, updated_at, inbound_at)
       VALUES (@key, @channel, @state, @seen, @now, coalesce(@inbound, @now))
       ON CONFLICT (user_key) DO UPDATE SET state = excluded.state, seen = excluded.seen,
         updated_at = excluded.updated_at, inbound_at = coalesce(@inbound, inbound_at)
       RETURNING id`,
    );
    // A known row is rewritten by its rowid: one seek, and the key's index is left alone.
    this.updateStmt = db.prepare(
      'UPDATE sessions SET state = ?, seen = ?, updated_at = ?, inbound_at = coalesce(?, inbound_at) WHERE id = ?',
    );
    this.deleteStmt = db.prepare('DELETE FROM sessions WHERE user_key = ?');
    this.versionStmt = db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  read(key: string): Stored | null {
    const version = this.versionStmt.get()!;
    if (version !== this.version) {
      this.known.clear();
      this.version = version;
    }
    const known = this.known.get(key) ?? this.load(key);
    if (known) this.remember(key, known);
    return known?.stored ?? null;
  }

  write(key: string, channel: string, stored: Stored): void {
    const now = sessionTime(this.now());
    const seen = stored.seen.slice(-SEEN_KEPT);
    const state = JSON.stringify(stored.session);
    const inbound = stored.inboundAt ?? null;
    const known = this.known.get(key);
    // A row known only from before another process wrote to the file may be gone: insert it again.
    const updated = known && this.updateStmt.run(state, seen.join(','), now, inbound, known.id).changes > 0;
    const id = updated
      ? known.id
      : this.insertStmt.get({ key, channel, state, seen: seen.join(','), now, inbound })!.id;
    const inboundAt = stored.inboundAt ?? known?.stored?.inboundAt;
    this.remember(key, {
      id,
      stored:
        inboundAt === undefined
          ? { session: stored.session, seen }
          : { session: stored.session, seen, inboundAt },
    });
  }

  delete(key: string): void {
    this.deleteStmt.run(key);
    this.known.delete(key);
  }

  /** Forgets what is cached: after a turn that rolled back, its writes never happened. */
  forgetCached(): void {
    this.known.clear();
  }

  /** Deletes sessions idle for more than `days` (none when 0); returns how many. */
  purgeIdle(days: number): number {
    return days > 0 ? this.purgeIdleBefore(this.now() - days * DAY) : 0;
  }

  /** Deletes sessions last used before `cutoff`; returns how many. */
  purgeIdleBefore(cutoff: number): number {
    this.known.clear();
    return this.db.prepare('DELETE FROM sessions WHERE updated_at < ?').run(cutoff).changes;
  }

  /** The minute of the user's last message, for WhatsApp's 24-hour window; null without a session. */
  lastInbound(key: string): number | null {
    return this.read(key)?.inboundAt ?? null;
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n;
  }

  private load(key: string): Known | undefined {
    const row = this.readStmt.get(key);
    if (!row) return undefined;
    // A row from an older version that no longer parses starts over rather than failing the turn.
    const parsed = SessionSchema.safeParse(JSON.parse(row.state));
    const stored = parsed.success
      ? { session: parsed.data, seen: row.seen ? row.seen.split(',') : [], inboundAt: row.inbound_at }
      : null;
    return { id: row.id, stored };
  }

  private remember(key: string, known: Known): void {
    this.known.delete(key);
    this.known.set(key, known);
    if (this.known.size > SESSIONS_CACHED) this.known.delete(this.known.keys().next().value!);
  }
}
