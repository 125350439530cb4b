import { unlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { convertUpdateToIncoming, MAX_INPUT_CHARS } from '../src/channels/telegram/convert.js';
import type { TelegramChannel } from '../src/channels/telegram/run.js';
import { startTelegram } from '../src/channels/telegram/run.js';
import { renderTelegram } from '../src/channels/telegram/transport.js';
import { healthRoutes } from '../src/http/health.js';
import { type HttpServer, startHttpServer } from '../src/http/server.js';
import { BotApiStandIn, callbackUpdate, textUpdate } from './support/bot-api-standin.js';
import { Harness, type HarnessOptions } from './support/harness.js';
import { LogSink } from './support/log-sink.js';

type Keyboard = { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> };

const FAST = { OUTBOX_TELEGRAM_PER_S: '5000', OUTBOX_PER_CHAT_PER_S: '1000' };

describe('Telegram hardening against the stand-in Bot API', () => {
  let api: BotApiStandIn;
  let h: Harness;
  let channel: TelegramChannel | undefined;
  let http: HttpServer | undefined;
  let log: LogSink;

  const open = async (env: Record<string, string> = {}, options: HarnessOptions = {}) => {
    api = new BotApiStandIn();
    const root = await api.start();
    log = new LogSink('debug');
    h = new Harness(
      { TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: root, ...FAST, ...env },
      { log: log.logger, ...options },
    );
    channel = await startTelegram(h.app);
    const routes = [
      ...channel.routes,
      { path: '/', app: healthRoutes(h.app, () => (channel ? [channel] : [])) },
    ];
    http = await startHttpServer({ port: 0, host: '127.0.0.1', routes, log: h.app.log });
  };

  afterEach(async () => {
    await http?.close();
    await channel?.stop();
    await api.stop();
    h.close();
    channel = undefined;
    http = undefined;
  });

  const drained = () => h.app.store.outbox.backlog() === 0;

  // Long polling hands out 100 updates at a time, and an update is confirmed only once its turn
  // has committed: during a fault, the first 100 users waiting get the apology (a webhook gives
  // it to everyone, as Telegram delivers each update on its own).
  it('a read-only database: an apology per user in their language, the updates kept, one log line a minute, then recovery', {
    timeout: 120_000,
  }, async () => {
    await open();
    const users = Array.from({ length: 100 }, (_, i) => 820_000 + i);
    h.app.db.pragma('query_only = 1');
    for (const [i, u] of users.entries()) api.push(textUpdate(u, 'hello', i % 2 ? 'en' : 'es'));
    await api.until(() => users.every((u) => api.sent(u).length >= 1), 60_000);
    for (const [i, u] of users.entries()) {
      const texts = api.sent(u).map((c) => String(c.params.text));
      expect(texts).toEqual([i % 2 ? h.app.bot.apology('en') : h.app.bot.apology('es')]);
    }
    expect(api.unconfirmed).toBeGreaterThan(0);
    expect(log.lines().filter((l) => l.code === 'store.fault')).toHaveLength(1);
    const health = await fetch(`${http!.url}/health`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { store: { state: string } }).store.state).toBe('fault');

    h.app.db.pragma('query_only = 0');
    await api.until(
      () => users.every((u) => api.sent(u).length >= 3) && api.unconfirmed === 0 && drained(),
      60_000,
    );
    expect(log.lines().some((l) => l.code === 'store.recovered')).toBe(true);
    expect((await fetch(`${http!.url}/health`)).status).toBe(200);
  });

  it('notices the database file deleted under the running bot', async () => {
    await open();
    unlinkSync(h.dbPath);
    expect(h.app.bot.fileWatch!.check()).toBe(false);
    expect(log.lines().some((l) => l.code === 'store.file_deleted')).toBe(true);
    const body = (await (await fetch(`${http!.url}/health`)).json()) as { store: { state: string } };
    expect(body.store.state).toBe('missing');
  });

  it('20 fast presses of one button give one reply, each press answered', async () => {
    await open();
    for (const u of [830_001, 830_002]) api.push(textUpdate(u, 'hola', 'es'));
    await api.until(() => api.sent(830_001).length >= 2 && api.sent(830_002).length >= 2 && drained());
    const press = (u: number) => {
      const menu = api.sent(u).at(-1)!;
      const button = (menu.params.reply_markup as Keyboard).inline_keyboard.flat()[0]!;
      return callbackUpdate(u, button.callback_data, menu.messageId!);
    };
    const once = press(830_001);
    api.push(once);
    const many = Array.from({ length: 20 }, () => press(830_002));
    api.push(...many);
    await api.until(() => [once, ...many].every((u) => api.isConfirmed(u)) && drained());
    expect(api.calls.filter((c) => c.method === 'answerCallbackQuery')).toHaveLength(21);
    expect(api.sent(830_002).length).toBe(api.sent(830_001).length);
    expect(api.sent(830_002).length).toBeGreaterThan(2);
  });

  it('retries through a Bot API that answers 500 for a while, and loses nothing', async () => {
    await open();
    for (let i = 0; i < 6; i++)
      api.failNext('sendMessage', { error_code: 500, description: 'Internal Server Error' });
    api.push(textUpdate(840_001, 'hola', 'es'), textUpdate(840_002, 'hello', 'en'));
    await api.until(
      () =>
        api.sent(840_001).filter((c) => c.messageId).length >= 2 &&
        api.sent(840_002).filter((c) => c.messageId).length >= 2 &&
        drained(),
      60_000,
    );
    const failures = await (await fetch(`${http!.url}/metrics`)).text();
    expect(failures).toMatch(/puente_send_failures_total\{channel="telegram",reason="transient"\} 6/);
  });

  it('a Bot API down (500) for 120 s within the default retry period: 12 of 12 replies, once each and in order', async () => {
    // The app's clock is the test's: the outbox's due times and the retry period follow it, so
    // two minutes of outage pass without waiting for them.
    const T0 = Date.now();
    let t = T0;
    const OUTAGE_MS = 120_000;
    await open({}, { now: () => t });
    const failedAt: number[] = [];
    api.failWhile(
      'sendMessage',
      () => {
        if (t >= T0 + OUTAGE_MS) return false;
        failedAt.push(t);
        return true;
      },
      { error_code: 500, description: 'Internal Server Error' },
    );
    const users = [841_001, 841_002, 841_003, 841_004, 841_005, 841_006];
    const langs = ['es', 'en', 'ht'] as const;
    // What each user must get, from the same engine: the greeting's replies.
    const expected = new Map<number, string[]>();
    const twin = new Harness();
    try {
      for (const [i, u] of users.entries()) {
        const reply = await twin.app.bot.handle({
          channel: 'telegram',
          user: String(u),
          event: { text: 'hola' },
          hint: { lang: langs[i % 3]!, sure: false },
        });
        expected.set(
          u,
          renderTelegram(reply.messages, reply.erase).flatMap((p) => (p.m === 'send' ? [p.text] : [])),
        );
      }
    } finally {
      twin.close();
    }
    expect([...expected.values()].flat()).toHaveLength(12);
    for (const [i, u] of users.entries()) api.push(textUpdate(u, 'hola', langs[i % 3]));
    await api.until(() => api.unconfirmed === 0 && api.sent().length > 0);
    const keys = users.map((u) => h.app.bot.userKeyOf('telegram', String(u)));
    const delivered = (u: number) => api.sent(u).filter((c) => c.messageId !== undefined);
    // Time goes on in steps of five seconds; each step, the sender looks at the chats again.
    await api.until(async () => {
      if (users.every((u) => delivered(u).length >= expected.get(u)!.length) && drained()) return true;
      t += 5_000;
      for (const key of keys) channel!.sender.wake(key);
      return false;
    }, 25_000);
    for (const u of users) expect(delivered(u).map((c) => String(c.params.text))).toEqual(expected.get(u));
    // Retries went on through the whole outage and none was given up on.
    expect(Math.max(...failedAt) - T0).toBeGreaterThanOrEqual(OUTAGE_MS - 60_000);
    expect(failedAt.length).toBeGreaterThan(users.length);
    expect(h.app.db.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(0);
    expect(log.lines().some((l) => l.code === 'outbox.failed')).toBe(false);
    const metrics = await (await fetch(`${http!.url}/metrics`)).text();
    expect(metrics).toMatch(/puente_send_failures_total\{channel="telegram",reason="transient"\} \d+/);
  });

  it('/health is 503 once the oldest pending message is older than 5 minutes, and 200 again once it goes', async () => {
    const T0 = Date.now();
    let t = T0;
    await open({}, { now: () => t });
    // The Bot API takes the reply but answers it only after the test lets it: the reply stays pending.
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    api.hold('sendMessage', held);
    api.push(textUpdate(845_001, 'hola', 'es'));
    await api.until(() => api.unconfirmed === 0 && h.app.store.outbox.backlog() > 0);
    const get = async () => {
      const res = await fetch(`${http!.url}/health`);
      return {
        status: res.status,
        body: (await res.json()) as { status: string; outbox: { backlog: number } },
      };
    };
    t = T0 + 4 * 60_000;
    expect(await get()).toMatchObject({ status: 200, body: { status: 'ok' } });
    t = T0 + 5 * 60_000 + 1000;
    const stale = await get();
    expect(stale).toMatchObject({
      status: 503,
      body: { status: 'down', outbox: { oldestPendingSeconds: 301 } },
    });
    expect(stale.body.outbox.backlog).toBeGreaterThan(0);
    release();
    await api.until(() => api.sent(845_001).filter((c) => c.messageId).length >= 2 && drained());
    expect(await get()).toMatchObject({ status: 200, body: { status: 'ok', outbox: { backlog: 0 } } });
  });

  it('/health is 503 while a channel is down (another instance polling: 409)', async () => {
    await open();
    await api.until(() => channel!.state?.() === 'polling');
    expect((await fetch(`${http!.url}/health`)).status).toBe(200);
    for (let i = 0; i < 3; i++)
      api.failNext('getUpdates', {
        error_code: 409,
        description: 'Conflict: terminated by other getUpdates request',
      });
    await api.until(() => channel!.state?.() !== 'polling' && channel!.state?.() !== 'starting');
    const res = await fetch(`${http!.url}/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'down', channels: { telegram: { up: false } } });
  });

  it('403 blocked: the user is forgotten, session and pending messages', async () => {
    await open();
    api.push(textUpdate(850_001, 'hola', 'es'));
    await api.until(() => api.sent(850_001).length >= 2 && drained());
    const key = h.app.bot.userKeyOf('telegram', '850001');
    expect(h.app.store.sessions.read(key)).not.toBeNull();
    api.failNext('sendMessage', { error_code: 403, description: 'Forbidden: bot was blocked by the user' });
    api.push(textUpdate(850_001, 'menu', 'es'));
    await api.until(() => h.app.store.sessions.read(key) === null && drained());
    expect(h.app.db.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(0);
  });

  it('the outbox keeps no chat id or text in clear, and nothing once sent', async () => {
    await open();
    api.delays.set('sendMessage', 300);
    api.push(textUpdate(860_123, 'hola', 'es'));
    await api.until(() => h.app.store.outbox.backlog() > 0);
    const rows = h.app.db.prepare('SELECT * FROM outbox').all();
    expect(JSON.stringify(rows)).not.toContain('860123');
    expect(JSON.stringify(rows)).not.toMatch(/Puente|Hola/i);
    await api.until(() => api.sent(860_123).length >= 2 && drained());
    expect(h.app.db.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(0);
  });

  it('/health and /metrics: states and counts, no personal data', async () => {
    await open();
    api.push(textUpdate(870_555, 'hola', 'es'), textUpdate(870_555, 'me pegan', 'es'));
    await api.until(() => api.unconfirmed === 0 && api.sent(870_555).length >= 3 && drained());
    const res = await fetch(`${http!.url}/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      status: 'ok',
      channels: { telegram: { state: 'polling', up: true } },
      content: { version: h.app.bot.current.version },
      outbox: { backlog: 0, oldestPendingSeconds: null },
      store: { state: 'ok' },
    });
    const metrics = await (await fetch(`${http!.url}/metrics`)).text();
    expect(metrics).toMatch(/puente_turns_total\{channel="telegram"\} 2/);
    expect(metrics).toMatch(/puente_replies_sent_total\{channel="telegram"\} \d+/);
    expect(metrics).toMatch(/puente_safety_cards_total 1/);
    expect(metrics).toContain('puente_turn_duration_seconds_bucket');
    expect(metrics).toContain('puente_outbox_backlog 0');
    expect(metrics).toContain('puente_unanswered_total');
    for (const text of [JSON.stringify(body), metrics]) {
      expect(text).not.toContain('870555');
      expect(text).not.toContain(h.app.bot.userKeyOf('telegram', '870555'));
      expect(text).not.toMatch(/me pegan/);
    }
  });
});

describe('the Telegram webhook on the shared HTTP server', () => {
  let api: BotApiStandIn;
  let h: Harness;
  let channel: TelegramChannel;
  let http: HttpServer;
  const SECRET = 'the-secret';

  const post = (body: BodyInit, headers: Record<string, string> = {}) =>
    fetch(`${http.url}/telegram/hook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET, ...headers },
      body,
      duplex: 'half',
    } as RequestInit);

  afterEach(async () => {
    await http.close();
    await channel.stop();
    await api.stop();
    h.close();
  });

  const open = async () => {
    api = new BotApiStandIn();
    const root = await api.start();
    h = new Harness({
      TELEGRAM_BOT_TOKEN: api.token,
      TELEGRAM_API_ROOT: root,
      TELEGRAM_WEBHOOK_URL: 'https://bot.example.org/telegram/hook',
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      ...FAST,
    });
    channel = await startTelegram(h.app);
    http = await startHttpServer({ port: 0, host: '127.0.0.1', routes: channel.routes, log: h.app.log });
  };

  it('malformed JSON gets 400 at once, and the server still stops', async () => {
    await open();
    expect((await post('{"update_id": 1, "message": ')).status).toBe(400);
    expect((await post('not json at all')).status).toBe(400);
  });

  it('a body over 1 MB gets 413, with or without its length, and memory stays bounded', async () => {
    await open();
    const before = process.memoryUsage().rss;
    const big = 'x'.repeat(50 * 1024 * 1024);
    expect((await post(big)).status).toBe(413);
    // Streamed without a length: the limit holds while reading.
    const chunk = new Uint8Array(1024 * 1024).fill(32);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ >= 50) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const res = await post(stream as unknown as BodyInit).catch(() => null);
    if (res) expect(res.status).toBe(413);
    expect(sent).toBeLessThan(50);
    // The 50 MB string of this test is most of what was added; the server kept none of it.
    expect(process.memoryUsage().rss - before).toBeLessThan(400 * 1024 * 1024);
    // Other users are still served.
    expect((await post(JSON.stringify(textUpdate(880_001, 'hola', 'es')))).status).toBe(200);
  });

  it('answers 200 once the turn has committed, before a slow send is done', async () => {
    await open();
    // However long a send takes (12 s, or more): the Bot API answers it only when the test says.
    let release!: () => void;
    api.hold('sendMessage', new Promise<void>((r) => (release = r)));
    const res = await post(JSON.stringify(textUpdate(880_002, 'hola', 'es')));
    expect(res.status).toBe(200);
    expect(h.app.store.sessions.read(h.app.bot.userKeyOf('telegram', '880002'))).not.toBeNull();
    expect(h.app.store.outbox.backlog()).toBeGreaterThan(0);
    await api.until(() => api.sent(880_002).length >= 1);
    expect(api.sent(880_002).filter((c) => c.messageId !== undefined)).toHaveLength(0);
    release();
    await api.until(() => h.app.store.outbox.backlog() === 0);
    expect(api.sent(880_002).filter((c) => c.messageId !== undefined).length).toBeGreaterThanOrEqual(2);
  });

  it('a store that cannot commit answers 503, so that Telegram delivers the update again', async () => {
    await open();
    h.app.db.pragma('query_only = 1');
    expect((await post(JSON.stringify(textUpdate(880_003, 'hello', 'en')))).status).toBe(503);
    await api.until(() => api.sent(880_003).length === 1);
    expect(api.sent(880_003)[0]!.params.text).toBe(h.app.bot.apology('en'));
    h.app.db.pragma('query_only = 0');
    expect((await post(JSON.stringify(textUpdate(880_003, 'hello', 'en')))).status).toBe(200);
  });

  it('a message longer than the input limit is cut before any other work', async () => {
    await open();
    const long = textUpdate(880_004, `hola ${'a'.repeat(200_000)}`, 'es');
    const incoming = convertUpdateToIncoming(long);
    expect('event' in incoming && 'text' in incoming.event && incoming.event.text.length).toBe(
      MAX_INPUT_CHARS,
    );
    const res = await post(JSON.stringify(long));
    expect(res.status).toBe(200);
    await api.until(() => api.sent(880_004).length >= 1 && h.app.store.outbox.backlog() === 0);
  });
});
