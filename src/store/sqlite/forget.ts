import { UNSENT_STATES } from '../../outbox/contract.js';
import { type Db, wipeWal } from './db.js';
import type { Handoffs } from './handoffs.js';
import type { SqliteSessions } from './sessions.js';

/**
 * The one place that deletes everything stored under a user key: "stop", quick exit, and a user
 * who blocks the bot all come here. Every table keyed by user adds its delete to forgetUser.
 * Counted records (events, feedback, unanswered) carry no key, so they cannot be found, and stay.
 */
export class Forgetter {
  /** A WAL that still holds deleted rows because a reader kept the checkpoint from finishing. */
  private unwiped = false;

  private readonly pending;

  constructor(
    private readonly db: Db,
    private readonly sessions: SqliteSessions,
    private readonly handoffs?: Handoffs,
  ) {
    // Pending and held messages (state 0 and 3): both keep the sealed text and address.
    this.pending = db.prepare(`DELETE FROM outbox WHERE user_key = ? AND state IN (${UNSENT_STATES})`);
  }

  /**
   * Deletes the user's rows; runs inside the caller's transaction. Their open conversations with
   * a person close, which clears the user key and the sealed id from them.
   */
  forgetUser(key: string): void {
    this.sessions.delete(key);
    this.pending.run(key);
    this.db.prepare('DELETE FROM subscriptions WHERE user_key = ?').run(key);
    // A broadcast's figures stay, but its rows no longer point at the user: the key and the
    // address go, and a message not sent yet is never sent.
    this.db
      .prepare(
        `UPDATE broadcast_deliveries SET user_key = 'gone:' || id, address = '',
           state = CASE state WHEN 'queued' THEN 'dropped' ELSE state END
         WHERE user_key = ?`,
      )
      .run(key);
    this.handoffs?.closeAllOf(key);
    this.deleted();
  }

  /** Rows were deleted (by a forget or by retention): their old pages must leave the WAL. */
  deleted(): void {
    this.unwiped = true;
  }

  /**
   * After the commit: the deleted rows are zeroed in the database (secure_delete), but their
   * old pages stay in the WAL until a checkpoint, so one is run now. Forgets are rare. When a
   * reader elsewhere keeps it from finishing, the retention timer tries again.
   */
  wipe(): void {
    if (this.unwiped && !this.db.inTransaction) this.unwiped = !wipeWal(this.db);
  }
}
