import { addRecent, recentIds } from '../recent-messages.js';
import type { Db } from './db.js';

/**
 * The ids of a chat's recent messages, the user's and the bot's, kept beside the session
 * (like its delivery marks) and not inside it: the engine never sees them.
 */
export class RecentMessages {
  private readonly readStmt;
  private readonly writeStmt;

  constructor(
    db: Db,
    private readonly now: () => number = Date.now,
  ) {
    this.readStmt = db.prepare<[string], string>('SELECT recent FROM sessions WHERE user_key = ?').pluck();
    this.writeStmt = db.prepare('UPDATE sessions SET recent = ? WHERE user_key = ?');
  }

  /** Adds ids to a user's list; a user without a session (just forgotten) keeps nothing. */
  append(key: string, ids: readonly string[]): void {
    if (!ids.length) return;
    const raw = this.readStmt.get(key);
    if (raw === undefined) return;
    this.writeStmt.run(addRecent(raw, ids, this.now()), key);
  }

  /** The ids that can still be deleted, oldest first. */
  list(key: string): string[] {
    const raw = this.readStmt.get(key);
    return raw === undefined ? [] : recentIds(raw, this.now());
  }
}
