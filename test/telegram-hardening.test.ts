import { unlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { TelegramChannel } from '../src/channels/telegram/run.js';
import { startTelegram } from '../src/channels/telegram/run.js';
import { healthRoutes } from '../src/http/health.js';
import { type HttpServer, startHttpServer } from '../src/http/server.js';
import { BotApiStandIn, callbackUpdate, textUpdate } from './support/bot-api-standin.js';
import { Harness } from './support/harness.js';
import { LogSink } from './support/log-sink.js';

type Keyboard = { inline_keyboard: Array<Array<{ text: string; callback_data: string }>> };

const FAST = { OUTBOX_TELEGRAM_PER_S: '5000', OUTBOX_PER_CHAT_PER_S: '1000' };

describe('Telegram hardening against the stand-in Bot API', () => {
  let api: BotApiStandIn;
  let h: Harness;
  let channel: TelegramChannel | undefined;
  let http: HttpServer | undefined;
  let log: LogSink;

  const open = async (env: Record<string, string> = {}) => {
    api = new BotApiStandIn();
    const root = await api.start();
    log = new LogSink('debug');
    h = new Harness(
      { TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: root, ...FAST, ...env },
      { log: log.logger },
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

  const drained = () => h.app.bot.outbox.stats(Date.now()).backlog === 0;

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

  it('403 blocked: the user is forgotten, session and pending messages', async () => {
    await open();
    api.push(textUpdate(850_001, 'hola', 'es'));
    await api.until(() => api.sent(850_001).length >= 2 && drained());
    const key = h.app.bot.userKeyOf('telegram', '850001');
    expect(h.app.bot.sessions.read(key)).not.toBeNull();
    api.failNext('sendMessage', { error_code: 403, description: 'Forbidden: bot was blocked by the user' });
    api.push(textUpdate(850_001, 'menu', 'es'));
    await api.until(() => h.app.bot.sessions.read(key) === null && drained());
    expect(h.app.db.prepare('SELECT count(*) FROM outbox').pluck().get()).toBe(0);
  });

  it('the outbox keeps no chat id or text in clear, and nothing once sent', async () => {
    await open();
    api.delays.set('sendMessage', 300);
    api.push(textUpdate(860_123, 'hola', 'es'));
    await api.until(() => h.app.bot.outbox.stats(Date.now()).backlog > 0);
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
