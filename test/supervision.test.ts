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

describe('the HTTP server of a running bot process', () => {
  let api: BotApiStandIn;
  let root: string;
  let dir: string;
  let bot: BotProcess;

  beforeEach(async () => {
    api = new BotApiStandIn();
    root = await api.start();
    dir = mkdtempSync(join(tmpdir(), 'puente-http-'));
  });

  afterEach(async () => {
    if (bot.child && bot.child.exitCode === null && bot.child.signalCode === null) await bot.kill('SIGKILL');
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const url = async () => {
    await api.until(() => /http listening on (\S+)/.test(bot.log), 30_000);
    return /http listening on (\S+)/.exec(bot.log)![1]!;
  };

  it('serves /health to a long-polling bot when HTTP_PORT is set', async () => {
    bot = new BotProcess(dir, { TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: root, HTTP_PORT: '0' });
    bot.start();
    const base = await url();
    // The first answer to getUpdates turns the state from starting to polling.
    await api.until(() => api.calls.filter((c) => c.method === 'getUpdates').length >= 2);
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ channels: { telegram: { state: 'polling', up: true } } });
    expect((await bot.kill('SIGTERM')).code).toBe(0);
  });

  it('a webhook that got malformed JSON still stops at once on SIGTERM, with exit 0', async () => {
    bot = new BotProcess(dir, {
      TELEGRAM_BOT_TOKEN: api.token,
      TELEGRAM_API_ROOT: root,
      TELEGRAM_WEBHOOK_URL: 'https://bot.example.org/tg',
      TELEGRAM_WEBHOOK_SECRET: 's3cret',
      HTTP_PORT: '0',
    });
    bot.start();
    const base = await url();
    const res = await fetch(`${base}/tg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 's3cret' },
      body: '{"update_id": 5, "message": {',
    });
    expect(res.status).toBe(400);
    expect((await bot.kill('SIGTERM')).code).toBe(0);
  });
});
