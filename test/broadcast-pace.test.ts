import { describe, expect, it } from 'vitest';
import { Pace } from '../src/broadcast/pace.js';

/** Sends `count` messages on a fake clock; `stall` pauses the sender once, as a busy machine would. */
function simulate(rate: number, count: number, stall?: { after: number; ms: number }): number[] {
  const pace = new Pace(rate);
  const times: number[] = [];
  let now = 1_000_000;
  for (let i = 0; i < count; i++) {
    if (stall && i === stall.after) now += stall.ms;
    for (let hold = pace.wait(now); hold > 0; hold = pace.wait(now)) now += hold;
    pace.took(now);
    times.push(now);
    now += 0.3; // the send itself
  }
  return times;
}

function mostIn(times: number[], windowMs: number): number {
  let most = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while (times[end]! - times[start]! >= windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

describe('broadcast pace', () => {
  it('keeps the set rate on schedule', () => {
    const times = simulate(24, 241);
    expect((times.at(-1)! - times[0]!) / 1000).toBeCloseTo(10, 1);
  });

  it('catches up after a pause without going above 1.2 times the rate in any second', () => {
    const times = simulate(24, 500, { after: 100, ms: 1500 });
    expect(mostIn(times, 1000)).toBeLessThanOrEqual(28);
    // The pause is made up: the whole broadcast takes its scheduled time.
    expect((times.at(-1)! - times[0]!) / 1000).toBeCloseTo(499 / 24, 0);
  });

  it('forgives a long pause rather than sending a burst', () => {
    const times = simulate(24, 300, { after: 50, ms: 60_000 });
    expect(mostIn(times, 1000)).toBeLessThanOrEqual(28);
  });

  it('WhatsApp Web: never more than 10 in a minute, even after a pause', () => {
    const times = simulate(10 / 60, 40, { after: 5, ms: 10 * 60_000 });
    expect(mostIn(times, 60_000)).toBeLessThanOrEqual(10);
  });
});
