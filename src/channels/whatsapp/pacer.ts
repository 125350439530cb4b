/** Time, as the pacer sees it: real in production, fake in tests. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export type PacerOptions = {
  /** The least time between two messages to the same chat. */
  perChatGapMs: number;
  /** The most messages per minute, all chats together. */
  perMinute: number;
  /** Up to this much random extra wait, so the rhythm does not look mechanical. */
  jitterMs: number;
  random?: () => number;
};

export const DEFAULT_PACING: PacerOptions = { perChatGapMs: 1200, perMinute: 40, jitterMs: 400 };

/**
 * The outgoing queue. WhatsApp bans numbers that send like machines, so every message
 * waits for a per-chat gap, a global rate and a little jitter. Messages go out one at a
 * time, in the order they were queued, so each chat keeps its order.
 */
export class Pacer<T = string> {
  private readonly lastByChat = new Map<string, number>();
  private lastAny = Number.NEGATIVE_INFINITY;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly send: (chatId: string, item: T) => Promise<void>,
    private readonly clock: Clock = realClock,
    private readonly options: PacerOptions = DEFAULT_PACING,
  ) {}

  enqueue(chatId: string, item: T): Promise<void> {
    const job = this.tail.then(() => this.deliver(chatId, item));
    this.tail = job.catch(() => undefined);
    return job;
  }

  /** Resolves when everything queued so far has been sent or has failed. */
  idle(): Promise<void> {
    return this.tail;
  }

  private async deliver(chatId: string, item: T): Promise<void> {
    const globalGap = 60_000 / this.options.perMinute;
    const random = this.options.random ?? Math.random;
    const ready = Math.max(
      (this.lastByChat.get(chatId) ?? Number.NEGATIVE_INFINITY) + this.options.perChatGapMs,
      this.lastAny + globalGap,
    );
    const wait = Math.max(0, ready - this.clock.now()) + Math.floor(random() * this.options.jitterMs);
    if (wait > 0) await this.clock.sleep(wait);
    const at = this.clock.now();
    if (this.lastByChat.size > 10_000) {
      for (const [chat, last] of this.lastByChat)
        if (at - last > this.options.perChatGapMs) this.lastByChat.delete(chat);
    }
    this.lastByChat.set(chatId, at);
    this.lastAny = at;
    await this.send(chatId, item);
  }
}
