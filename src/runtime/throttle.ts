/**
 * Says whether something may be logged now: at most once per `everyMs` per key, so that a
 * fault hit by every message (a full disk) fills no disk with its own log.
 */
export class LogThrottle {
  private readonly last = new Map<string, { at: number; skipped: number }>();

  constructor(
    private readonly everyMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The number of times it was skipped since the last time, or null when it must stay quiet now. */
  allow(key: string): number | null {
    const now = this.now();
    const seen = this.last.get(key);
    if (seen && now - seen.at < this.everyMs) {
      seen.skipped++;
      return null;
    }
    this.last.set(key, { at: now, skipped: 0 });
    return seen?.skipped ?? 0;
  }
}
