/**
 * A token bucket: `rate` per second sustained, `burst` at once. `take` says how long to wait
 * (0: go now, and the token is taken).
 */
export class Bucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
  }

  /** Milliseconds until a token is free, without taking it. */
  wait(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  /** Milliseconds until a token is free; 0 takes one. */
  take(now: number): number {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  /** Full again: an idle chat's bucket can be dropped. */
  full(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }
}
