import type { Logger } from 'pino';
import type { Db } from './db.js';
import type { Forgetter } from './forget.js';
import type { Records } from './records.js';
import type { SqliteSessions } from './sessions.js';
import { DAY, HOUR } from './times.js';

export type Purged = { sessions: number; events: number; feedback: number; unanswered: number };

export type RetentionOptions = {
  /** RETENTION_DAYS; 0 keeps everything. */
  days: number;
  everyMs?: number;
  now?: () => number;
};

/**
 * Deletes what is older than the retention period, at start and then every hour, in every table:
 * idle sessions, unanswered questions, feedback and events (the last two after they are added
 * to the daily counts). It logs how many rows it removed per table, never which.
 */
export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private readonly days: number;
  private readonly everyMs: number;
  private readonly now: () => number;

  constructor(
    private readonly db: Db,
    private readonly parts: { sessions: SqliteSessions; records: Records; forgetter: Forgetter },
    private readonly log: Logger,
    options: RetentionOptions,
  ) {
    this.days = options.days;
    this.everyMs = options.everyMs ?? HOUR;
    this.now = options.now ?? (() => Date.now());
  }

  /** One purge, in one transaction. */
  purge(): Purged {
    const cutoff = this.now() - this.days * DAY;
    const purged =
      this.days > 0
        ? this.db.transaction(() => ({
            sessions: this.parts.sessions.purgeIdleBefore(cutoff),
            ...this.parts.records.purgeBefore(cutoff),
          }))()
        : { sessions: 0, events: 0, feedback: 0, unanswered: 0 };
    const total = purged.sessions + purged.events + purged.feedback + purged.unanswered;
    // The deleted rows' old pages leave the WAL too, as after a forget.
    if (total > 0) this.parts.forgetter.deleted();
    this.parts.forgetter.wipe();
    if (total > 0) this.log.info({ code: 'retention.purged', days: this.days, ...purged }, 'retention purge');
    else this.log.debug({ code: 'retention.purged', days: this.days, ...purged }, 'retention purge');
    return purged;
  }

  /** Purges now and then on a timer that never keeps the process alive. */
  start(): void {
    this.stop();
    this.tick();
    this.timer = setInterval(() => this.tick(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (!this.db.open) return this.stop();
    try {
      this.purge();
    } catch (e) {
      // A busy database or a full disk: the next hour tries again.
      this.log.error(
        { code: 'retention.failed', error: e instanceof Error ? e.message : String(e) },
        'retention purge failed',
      );
    }
  }
}
