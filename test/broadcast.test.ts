import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBroadcasts } from '../src/broadcast/run.js';
import type { BroadcastWorker } from '../src/broadcast/worker.js';
import type { RunningChannel } from '../src/channels/channel.js';
import { startTelegram } from '../src/channels/telegram/run.js';
import { BotApiStandIn, type Call, textUpdate } from './support/bot-api-standin.js';
import { range, seedSubscribers, TEXTS } from './support/broadcast-seed.js';
import { Harness } from './support/harness.js';

/** A low rate and a long enough run, so a loaded machine still keeps it. */
const RATE = 100;

describe('broadcasts over Telegram against the stand-in Bot API', () => {
  let api: BotApiStandIn;
  let h: Harness;
  let channel: RunningChannel;
  let worker: BroadcastWorker | null = null;

  beforeEach(async () => {
    api = new BotApiStandIn();
    const root = await api.start();
    h = new Harness({ TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: root, BROADCAST_RATE: String(RATE) });
  });

  afterEach(async () => {
    await worker?.stop();
    worker = null;
    await channel?.stop();
    await api.stop();
    h.close();
  });

  const start = async () => {
    channel = await startTelegram(h.app);
    worker = startBroadcasts(h.app, [channel]);
  };

  const queue = async () => {
    const id = await h.app.store.broadcasts.create('covid', TEXTS, []);
    await h.app.store.broadcasts.queue(id);
    return id;
  };

  const broadcastCalls = (chats: Set<number>): Call[] =>
    api.sent().filter((c) => chats.has(Number(c.params.chat_id)));

  it('sends to 500 subscribers once each, at the set rate by the stand-in clock (±5 %)', async () => {
    const chats = range(100_000, 500);
    seedSubscribers(h, chats);
    const id = await queue();
    await start();
    const set = new Set(chats);
    await api.until(() => broadcastCalls(set).length >= 500, 60_000);
    await api.until(async () => (await h.app.store.broadcasts.get(id))?.status === 'done', 10_000);
    const calls = broadcastCalls(set);
    expect(calls).toHaveLength(500);
    expect(new Set(calls.map((c) => c.params.chat_id)).size).toBe(500);
    const times = calls.map((c) => c.at).sort((a, b) => a - b);
    const achieved = (times.length - 1) / ((times.at(-1)! - times[0]!) / 1000);
    expect(Math.abs(achieved - RATE) / RATE, `achieved ${achieved.toFixed(1)}/s`).toBeLessThanOrEqual(0.05);
    // Each subscriber reads their own language, with the footer that says how to stop.
    const byChat = new Map(calls.map((c) => [Number(c.params.chat_id), String(c.params.text)]));
    expect(byChat.get(100_000)).toContain(TEXTS.es);
    expect(byChat.get(100_001)).toContain(TEXTS.en);
    expect(byChat.get(100_002)).toContain(TEXTS.ht);
    expect(byChat.get(100_002)).toContain('abònman mwen');
    expect(await h.app.store.broadcasts.figures(id)).toEqual({
      queued: 0,
      sent: 500,
      failed: 0,
      blocked: 0,
      replies: 0,
    });
  }, 90_000);

  it('serves a reply before the broadcast messages that wait, and counts it as a reply', async () => {
    const chats = range(200_000, 300);
    seedSubscribers(h, chats);
    const id = await queue();
    await start();
    const set = new Set(chats);
    await api.until(() => broadcastCalls(set).length >= 40, 30_000);
    // A reply that takes long to send: without priority, the broadcast would go on meanwhile.
    api.slow(9001, 300);
    api.push(textUpdate(9001, 'hola', 'es'));
    await api.until(() => api.sent(9001).length >= 2, 20_000);
    const first = api.calls.indexOf(api.sent(9001)[0]!);
    const last = api.calls.indexOf(api.sent(9001).at(-1)!);
    const between = api.calls.slice(first, last).filter((c) => set.has(Number(c.params.chat_id)));
    // Only messages already in flight when the reply began can arrive meanwhile.
    expect(between.length).toBeLessThanOrEqual(4);
    expect(broadcastCalls(set).length).toBeLessThan(300);
    await api.until(async () => (await h.app.store.broadcasts.get(id))?.status === 'done', 30_000);
    // A subscriber who writes back within 24 hours counts as a reply.
    api.push(textUpdate(200_000, 'gracias', 'es'));
    await api.until(async () => (await h.app.store.broadcasts.figures(id)).replies === 1, 10_000);
  }, 90_000);

  it('a 403 marks the message blocked, removes the subscriptions and deletes the session', async () => {
    const chats = range(300_000, 20);
    seedSubscribers(h, chats);
    seedSubscribers(h, [300_003], 'labour');
    // One blocked user also has a conversation stored.
    await h.send('300003', { text: 'hola' }, { lang: 'es', sure: true }, 'telegram');
    const key = h.app.bot.userKeyOf('telegram', '300003');
    expect(await h.app.store.session(key)).not.toBeNull();
    for (const chat of [300_003, 300_007, 300_011]) api.block(chat);
    const id = await queue();
    await start();
    await api.until(async () => (await h.app.store.broadcasts.get(id))?.status === 'done', 30_000);
    expect(await h.app.store.broadcasts.figures(id)).toMatchObject({
      sent: 17,
      blocked: 3,
      queued: 0,
      failed: 0,
    });
    for (const chat of [300_003, 300_007, 300_011])
      expect(await h.app.store.subscriptions.topicsOf(h.app.bot.userKeyOf('telegram', String(chat)))).toEqual(
        [],
      );
    expect(await h.app.store.session(key)).toBeNull();
    expect((await h.app.store.subscriptions.audience('covid')).reduce((n, r) => n + r.count, 0)).toBe(17);
    // The rows keep the figures but no longer point at anyone.
    const left = h.app.db
      .prepare(`SELECT count(*) AS n FROM broadcast_deliveries WHERE address <> '' OR user_key = ?`)
      .get(key) as { n: number };
    expect(left.n).toBe(0);
  }, 60_000);

  it('a cancelled broadcast sends nothing more', async () => {
    const chats = range(400_000, 400);
    seedSubscribers(h, chats);
    const id = await queue();
    await start();
    const set = new Set(chats);
    await api.until(() => broadcastCalls(set).length >= 30, 30_000);
    expect(await h.app.store.broadcasts.cancel(id)).toBe(true);
    const atCancel = broadcastCalls(set).length;
    await new Promise((r) => setTimeout(r, 1500));
    // At most one batch already fetched (one second at the rate) goes after the cancel.
    expect(broadcastCalls(set).length - atCancel).toBeLessThanOrEqual(RATE + 4);
    const f = await h.app.store.broadcasts.figures(id);
    expect(f.queued).toBe(0);
    expect(f.sent).toBeLessThan(400);
  }, 60_000);
});
