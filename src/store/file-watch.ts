import { statSync } from 'node:fs';
import type { Logger } from 'pino';

/**
 * Notices the database file being deleted (or replaced) under the running bot: SQLite would go on
 * writing to the unlinked file, and everything would be lost at the next restart.
 */
export class DbFileWatch {
  private readonly ino: number | null;
  private timer?: NodeJS.Timeout;
  private lastLog = 0;
  missing = false;

  constructor(
    private readonly path: string,
    private readonly log: Logger,
    private readonly everyMs = 5000,
  ) {
    this.ino = path === ':memory:' ? null : statSync(path).ino;
  }

  start(): void {
    if (this.ino === null) return;
    // A chain of timeouts, not an interval: a clock moved far ahead runs one check, not thousands.
    const next = () => {
      this.timer = setTimeout(() => {
        this.check();
        next();
      }, this.everyMs);
      this.timer.unref();
    };
    next();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** True when the file is still the one the bot opened. */
  check(): boolean {
    if (this.ino === null) return true;
    let ino: number | null = null;
    try {
      ino = statSync(this.path).ino;
    } catch {
      ino = null;
    }
    this.missing = ino !== this.ino;
    if (this.missing && Date.now() - this.lastLog >= 60_000) {
      this.lastLog = Date.now();
      this.log.error(
        { code: 'store.file_deleted', file: this.path },
        'the database file was deleted or replaced while the bot runs: what it saves now is lost at the next restart. Restore the file from a backup and restart the bot.',
      );
    }
    return !this.missing;
  }
}
