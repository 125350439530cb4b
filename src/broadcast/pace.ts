/**
 * The pace of one channel's broadcast: messages on an absolute schedule at the set rate, so
 * timer delays do not add up. After a pause (a busy machine, replies going first) the loop
 * catches up, but never sends more than CATCH_UP times the rate within a window, so 24/s on
 * Telegram never becomes a burst above its 30/s; lateness beyond MAX_LATE_MS is forgiven.
 * Below one message a second (WhatsApp Web) there is no catching up at all.
 */
export const CATCH_UP = 1.2;
export const MAX_LATE_MS = 2000;

export class Pace {
  private due = 0;
  private readonly times: number[] = [];
  private head = 0;
  private readonly gap: number;
  private readonly window: number;
  private readonly cap: number;
  private readonly maxLate: number;

  constructor(rate: number) {
    this.gap = 1000 / rate;
    this.window = Math.max(1000, 10 * this.gap);
    this.cap = Math.max(1, Math.floor(((rate * this.window) / 1000) * (rate >= 1 ? CATCH_UP : 1)));
    this.maxLate = Math.max(MAX_LATE_MS, 2 * this.gap);
  }

  /** How long to wait before the next message, at `now`; 0 when it may go. */
  wait(now: number): number {
    if (this.due === 0) this.due = now;
    if (now - this.due > this.maxLate) this.due = now - this.maxLate;
    while (this.head < this.times.length && this.times[this.head]! <= now - this.window) this.head++;
    if (this.head > 1024) {
      this.times.splice(0, this.head);
      this.head = 0;
    }
    let hold = this.due - now;
    if (this.times.length - this.head >= this.cap)
      hold = Math.max(hold, this.times[this.head]! + this.window - now);
    return Math.max(0, hold);
  }

  /** A message went at `now`. */
  took(now: number): void {
    this.times.push(now);
    this.due += this.gap;
  }

  /** Nothing to send for a while: the next message starts a new schedule. */
  reset(): void {
    this.due = 0;
  }
}
