import type { MovePlan } from './store.js';

/**
 * The broadcast schedule of a channel, as the database keeps it: `due` is when the next message
 * may enter the outbox (0: nothing is being sent, the next message starts a new schedule).
 * Messages keep to an absolute schedule, so timer delays do not add up; lateness beyond
 * maxLateMs is forgiven rather than made up with a burst.
 */
export function slots(
  due: number,
  plan: Pick<MovePlan, 'now' | 'gapMs' | 'maxLateMs'>,
): {
  start: number;
  count: number;
} {
  const { now, gapMs, maxLateMs } = plan;
  const start = due === 0 ? now : Math.max(due, now - maxLateMs);
  if (now < start) return { start, count: 0 };
  return { start, count: Math.floor((now - start) / gapMs) + 1 };
}

/** The schedule after `messages` more entered the outbox. */
export function nextDue(start: number, messages: number, gapMs: number): number {
  return start + messages * gapMs;
}
