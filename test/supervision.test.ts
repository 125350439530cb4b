import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BotApiStandIn, textUpdate } from './support/bot-api-standin.js';
import { BotProcess, collapse } from './support/bot-process.js';

/** A local port nothing listens on: a Bot API that cannot be reached. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

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

  it('offline with a wrong token: getMe cannot be reached, and the bot says so instead of waiting', async () => {
    const { code, lines } = await run({
      TELEGRAM_BOT_TOKEN: '999:not-the-token',
      TELEGRAM_API_ROOT: `http://127.0.0.1:${await closedPort()}`,
      STARTUP_TIMEOUT_S: '5',
    });
    expect(code).toBe(1);
    const reason = lines.filter((l) => l.includes('getMe'));
    expect(reason).toHaveLength(1);
    expect(reason[0]).toMatch(/TELEGRAM_BOT_TOKEN/);
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
    // HTTP_HOST by default: this machine only, behind a reverse proxy.
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // The first answer to getUpdates turns the state from starting to polling.
    await api.until(() => api.calls.filter((c) => c.method === 'getUpdates').length >= 2);
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ channels: { telegram: { state: 'polling', up: true } } });
    expect((await bot.kill('SIGTERM')).code).toBe(0);
  });

  it('TELEGRAM_WEBHOOK_PORT, the old name of HTTP_PORT, still sets the port of the webhook', async () => {
    bot = new BotProcess(dir, {
      TELEGRAM_BOT_TOKEN: api.token,
      TELEGRAM_API_ROOT: root,
      TELEGRAM_WEBHOOK_URL: 'https://bot.example.org/tg',
      TELEGRAM_WEBHOOK_SECRET: 's3cret',
      TELEGRAM_WEBHOOK_PORT: '0',
    });
    bot.start();
    const base = await url();
    const chat = 851_234;
    const res = await fetch(`${base}/tg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 's3cret' },
      body: JSON.stringify(textUpdate(chat, 'hola', 'es')),
    });
    expect(res.status).toBe(200);
    await api.until(() => api.sent(chat).length >= 2);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await bot.kill('SIGTERM')).code).toBe(0);
  });

  it('SHUTDOWN_GRACE_S: a send that hangs does not hold the stop; what was left goes at the next start', async () => {
    const env = { TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: root };
    bot = new BotProcess(dir, env);
    bot.start({ SHUTDOWN_GRACE_S: '1' });
    await api.until(() => api.calls.some((c) => c.method === 'getUpdates'), 30_000);
    // The Bot API takes the first reply and never answers it.
    let release!: () => void;
    api.hold('sendMessage', new Promise<void>((r) => (release = r)));
    const chat = 852_001;
    api.push(textUpdate(chat, 'hola', 'es'));
    await api.until(() => api.unconfirmed === 0 && api.sent(chat).length >= 1, 30_000);
    const stopped = await bot.kill('SIGTERM');
    expect(stopped.code, bot.log).toBe(0);
    expect(api.sent(chat).filter((c) => c.messageId !== undefined)).toHaveLength(0);
    // The Bot API answers again, except the call it held: that one is never answered.
    api.hold('sendMessage', Promise.resolve());
    bot = new BotProcess(dir, env);
    bot.start();
    try {
      await api.until(() => api.sent(chat).filter((c) => c.messageId !== undefined).length >= 2, 30_000);
      const texts = api.sent(chat).map((c) => String(c.params.text));
      // The welcome, then the menu: the send in flight at the stop goes again, nothing is lost.
      expect(collapse(texts)).toHaveLength(2);
      expect(
        api
          .sent(chat)
          .filter((c) => c.messageId !== undefined)
          .map((c) => c.params.text),
      ).toEqual(collapse(texts));
      expect((await bot.kill('SIGTERM')).code).toBe(0);
    } finally {
      release();
    }
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
