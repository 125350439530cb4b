import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderTelegram } from '../src/channels/telegram/transport.js';
import { DEFAULT_LIMITS } from '../src/outbox/sender.js';
import { BotApiStandIn, textUpdate } from './support/bot-api-standin.js';
import { BotProcess, collapse } from './support/bot-process.js';
import { Harness } from './support/harness.js';

const SCRIPT = ['hola', '1', 'menu'];
const FIRST_USER = 910_000;

/** What one user must see for SCRIPT, from the same engine in this process. */
async function expectedTexts(): Promise<string[]> {
  const h = new Harness();
  try {
    const out: string[] = [];
    for (const text of SCRIPT) {
      const reply = await h.app.bot.handle({
        channel: 'telegram',
        user: '1',
        event: { text },
        hint: { lang: 'es', sure: false },
      });
      for (const p of renderTelegram(reply.messages, reply.erase)) if (p.m === 'send') out.push(p.text);
    }
    return out;
  } finally {
    h.close();
  }
}

describe('Telegram under faults, real processes against the stand-in Bot API', () => {
  let api: BotApiStandIn;
  let dir: string;
  let bot: BotProcess;

  beforeEach(async () => {
    api = new BotApiStandIn();
    const root = await api.start();
    dir = mkdtempSync(join(tmpdir(), 'puente-faults-'));
    bot = new BotProcess(dir, {
      TELEGRAM_BOT_TOKEN: api.token,
      TELEGRAM_API_ROOT: root,
      // The limits of the real Bot API would make this test take minutes; they have tests of their own.
      OUTBOX_TELEGRAM_PER_S: '5000',
      OUTBOX_PER_CHAT_PER_S: '1000',
    });
  });

  afterEach(async () => {
    if (bot.child && bot.child.exitCode === null && bot.child.signalCode === null) await bot.kill('SIGKILL');
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const load = (users: number) => {
    for (const text of SCRIPT)
      for (let u = 0; u < users; u++) api.push(textUpdate(FIRST_USER + u, text, 'es'));
  };

  /** Every user saw exactly the expected texts, in order, with at most `extra` repeats in all. */
  const delivered = (users: number, expected: readonly string[]) => {
    let missing = 0;
    let repeats = 0;
    for (let u = 0; u < users; u++) {
      const texts = api.sent(FIRST_USER + u).map((c) => String(c.params.text));
      const seen = collapse(texts);
      repeats += texts.length - seen.length;
      if (seen.join('\u0000') !== collapse(expected).join('\u0000')) missing++;
    }
    return { missing, repeats };
  };

  it('kill -9 during a load of 1,000 users, then a restart on the same database: no reply lost, no update unprocessed', async () => {
    const users = 1000;
    const expected = await expectedTexts();
    expect(expected.length).toBeGreaterThanOrEqual(3);
    bot.start();
    await api.until(() => api.calls.some((c) => c.method === 'getUpdates'), 30_000);
    load(users);
    const total = users * expected.length;
    await api.until(() => api.sent().length >= total / 3, 120_000);
    const killed = await bot.kill('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    expect(api.sent().length).toBeLessThan(total);

    bot.start();
    await api.until(() => delivered(users, expected).missing === 0 && api.unconfirmed === 0, 240_000);
    const { repeats } = delivered(users, expected);
    // Only the sends in flight at the kill may go twice.
    expect(repeats).toBeLessThanOrEqual(DEFAULT_LIMITS.concurrency);
    expect(api.unconfirmed).toBe(0);
    await bot.kill('SIGTERM');
  }, 400_000);

  it('SIGTERM during a load: intake stops, turns commit, the outbox drains, exit 0, and nothing is lost', async () => {
    const users = 300;
    const expected = await expectedTexts();
    bot.start({ SHUTDOWN_GRACE_S: '10' });
    await api.until(() => api.calls.some((c) => c.method === 'getUpdates'), 30_000);
    load(users);
    await api.until(() => api.sent().length >= 50, 60_000);
    const stopped = await bot.kill('SIGTERM');
    expect(stopped.code, bot.log).toBe(0);
    // Whatever the grace left is sent at the next start; the updates not confirmed come again.
    bot.start();
    await api.until(() => delivered(users, expected).missing === 0 && api.unconfirmed === 0, 120_000);
    expect(delivered(users, expected).repeats).toBe(0);
    await bot.kill('SIGTERM');
  }, 300_000);
});
