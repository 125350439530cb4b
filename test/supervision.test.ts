import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BotApiStandIn } from './support/bot-api-standin.js';
import { BotProcess } from './support/bot-process.js';

/** A process that stops by itself, with the line it leaves for the operator. */
describe('supervised channels: the bot exits non-zero with a one-line reason', () => {
  let api: BotApiStandIn;
  let root: string;
  let dir: string;
  let bot: BotProcess | undefined;

  beforeEach(async () => {
    api = new BotApiStandIn();
    root = await api.start();
    dir = mkdtempSync(join(tmpdir(), 'puente-supervise-'));
  });

  afterEach(async () => {
    if (bot?.child && bot.child.exitCode === null && bot.child.signalCode === null) await bot.kill('SIGKILL');
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (env: Record<string, string>) => {
    bot = new BotProcess(dir, env);
    bot.start();
    const exit = await bot.exited!;
    return { code: exit.code, lines: bot.log.split('\n').filter(Boolean) };
  };

  it('a bad token (401 on getMe)', async () => {
    const { code, lines } = await run({ TELEGRAM_BOT_TOKEN: '999:not-the-token', TELEGRAM_API_ROOT: root });
    expect(code).toBe(1);
    expect(lines.some((l) => /401.*TELEGRAM_BOT_TOKEN/.test(l))).toBe(true);
  });

  it('getMe that never answers: a deadline', async () => {
    api.delays.set('getMe', 60_000);
    const { code, lines } = await run({
      TELEGRAM_BOT_TOKEN: api.token,
      TELEGRAM_API_ROOT: root,
      STARTUP_TIMEOUT_S: '1',
    });
    expect(code).toBe(1);
    expect(lines.some((l) => l.includes('did not answer getMe within 1 s'))).toBe(true);
  });

  it('another instance polling (409 on getUpdates)', async () => {
    for (let i = 0; i < 3; i++)
      api.failNext('getUpdates', {
        error_code: 409,
        description: 'Conflict: terminated by other getUpdates request',
      });
    const { code, lines } = await run({ TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: root });
    expect(code).toBe(1);
    expect(lines.some((l) => l.startsWith('telegram: ') && l.includes('409'))).toBe(true);
  });

  it('no channel configured and no terminal', async () => {
    const { code, lines } = await run({});
    expect(code).toBe(1);
    expect(lines.some((l) => l.startsWith('No channel is configured'))).toBe(true);
  });
});
