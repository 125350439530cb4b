/** Time, as the WhatsApp channels see it: real in production, fake in tests. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/**
 * How WhatsApp Web sends: WhatsApp bans numbers that send like machines, so every message waits
 * for a per-chat gap, a global rate and a little jitter. The outbox sender applies them.
 */
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
 * A pause for an outbox sender by `clock` (a fake clock in tests moves it), and never longer
 * than a second of real time: the sender looks at its clock again at least that often. Pauses
 * of `realUpToMs` or less are real time only: a fake clock moved by hours does not step through
 * every idle look of the sender.
 */
export function senderSleep(clock: Clock, realUpToMs = 0): (ms: number) => Promise<void> {
  return (ms) =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.min(ms, 1000));
      if (ms <= realUpToMs) return;
      void clock.sleep(ms).then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
}
