import type { Logger } from 'pino';
import type { Purged, Store } from './contract.js';
import { DAY, HOUR } from './times.js';

export type { Purged };

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
  private closed = false;
  private running: Promise<unknown> = Promise.resolve();
  private readonly days: number;
  private readonly everyMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: Pick<Store, 'purge'>,
    private readonly log: Logger,
    options: RetentionOptions,
  ) {
    this.days = options.days;
    this.everyMs = options.everyMs ?? HOUR;
    this.now = options.now ?? (() => Date.now());
  }

  /** One purge, in one transaction. */
  async purge(): Promise<Purged> {
    const purged =
      this.days > 0
        ? await this.store.purge(this.now() - this.days * DAY)
        : { sessions: 0, events: 0, feedback: 0, unanswered: 0 };
    const total = purged.sessions + purged.events + purged.feedback + purged.unanswered;
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

  /** Stops the timer; resolves once a purge in progress has finished, so the store can close. */
  stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    return this.running.then(() => undefined);
  }

  /** Stops for good: no purge starts after this. */
  close(): Promise<void> {
    this.closed = true;
    return this.stop();
  }

  private tick(): void {
    if (this.closed) return;
    this.running = this.purge().catch((e: unknown) => {
      // A busy database or a full disk: the next hour tries again.
      this.log.error(
        { code: 'retention.failed', error: e instanceof Error ? e.message : String(e) },
        'retention purge failed',
      );
    });
  }
}
