import { afterEach, describe, expect, it } from 'vitest';
import { broadcastChannels, broadcastRate } from '../src/broadcast/channels.js';
import { movePlan } from '../src/broadcast/feeder.js';
import { startBroadcasts } from '../src/broadcast/run.js';
import { nextDue, slots } from '../src/broadcast/schedule.js';
import type { BroadcastWorker } from '../src/broadcast/worker.js';
import { WHATSAPP_CHANNEL, WhatsAppAdapter } from '../src/channels/whatsapp/adapter.js';
import { whatsappWebOutboxBroadcast } from '../src/channels/whatsapp/broadcast.js';
import { loadConfig } from '../src/config/env.js';
import { FakeClock, type FakeShared, FakeWaClient, flush } from './support/fake-whatsapp.js';
import { Harness } from './support/harness.js';
import { LogSink } from './support/log-sink.js';

const env = (extra: Record<string, string>) => loadConfig({ DB_PATH: ':memory:', ...extra }, false);

describe('broadcasts over WhatsApp Web', () => {
  let h: Harness | undefined;
  let worker: BroadcastWorker | null = null;
  afterEach(async () => {
    await worker?.stop();
    worker = null;
    h?.close();
  });

  it('are off unless WHATSAPP_WEB_BROADCAST=1, and then never above 10 a minute', () => {
    expect(broadcastChannels(env({ WHATSAPP_ENABLED: '1' })).has('whatsapp')).toBe(false);
    expect(
      broadcastChannels(env({ WHATSAPP_ENABLED: '1', WHATSAPP_WEB_BROADCAST: '1' })).has('whatsapp'),
    ).toBe(true);
    // 80 % of the limit by default, and never above it whatever is set.
    expect(broadcastRate(env({}), 'whatsapp') * 60).toBeCloseTo(8);
    expect(broadcastRate(env({ BROADCAST_RATE: '50' }), 'whatsapp') * 60).toBeCloseTo(10);
    expect(broadcastRate(env({ BROADCAST_RATE: '0.05' }), 'whatsapp') * 60).toBeCloseTo(3);
    expect(broadcastRate(env({}), 'telegram')).toBe(24);
    expect(broadcastRate(env({ BROADCAST_RATE: '100' }), 'telegram')).toBe(100);
  });

  it('moves into the outbox never more than 10 in a minute, even after a pause', () => {
    const plan = movePlan(WHATSAPP_CHANNEL, broadcastRate(env({ BROADCAST_RATE: '50' }), WHATSAPP_CHANNEL));
    // One message at a time waits in the outbox: a client that was down sends no burst after.
    expect(plan.ahead).toBe(1);
    let due = 0;
    let now = 1_000_000;
    const moved: number[] = [];
    for (let step = 0; moved.length < 40; step++) {
      // The loop stalls once for ten minutes, as a busy or sleeping machine would.
      now += step === 20 ? 10 * 60_000 : 250;
      const { start, count } = slots(due, { ...plan, now });
      const n = Math.min(count, plan.limit);
      if (!n) continue;
      for (let i = 0; i < n; i++) moved.push(now);
      due = nextDue(start, n, plan.gapMs);
    }
    let most = 0;
    for (let end = 0, first = 0; end < moved.length; end++) {
      while (moved[end]! - moved[first]! >= 60_000) first++;
      most = Math.max(most, end - first + 1);
    }
    expect(most).toBeLessThanOrEqual(10);
  });

  it('with it on, warns about bans in the log and sends through the channel outbox', async () => {
    const sink = new LogSink('warn');
    h = new Harness({ WHATSAPP_ENABLED: '1', WHATSAPP_WEB_BROADCAST: '1' }, { log: sink.logger });
    const shared: FakeShared = { sent: [] };
    const adapter = new WhatsAppAdapter(h.app.bot, sink.logger, {
      factory: () => new FakeWaClient(shared),
      clock: new FakeClock(),
      pacing: { perChatGapMs: 0, perMinute: 1_000_000, jitterMs: 0 },
    });
    adapter.start();
    await flush();
    const route = whatsappWebOutboxBroadcast(adapter, h.app);
    expect(sink.lines().some((l) => /ban/.test(String(l.msg)) && l.code === 'whatsapp.broadcast_on')).toBe(
      true,
    );
    expect(route.rate * 60).toBeLessThanOrEqual(10);
    const { bot, store } = h.app;
    const phone = '50688887777';
    await store.subscriptions.add(bot.userKeyOf(WHATSAPP_CHANNEL, phone), {
      topic: 'covid',
      lang: 'ht',
      channel: WHATSAPP_CHANNEL,
      address: bot.addresses.seal(WHATSAPP_CHANNEL, phone),
      how: 'offer',
    });
    const id = await store.broadcasts.create('covid', { es: 'Vacunas gratis.' }, ['en', 'ht']);
    await store.broadcasts.queue(id);
    worker = startBroadcasts(h.app, [
      { name: WHATSAPP_CHANNEL, stop: async () => {}, broadcastOutbox: route },
    ]);
    // At 8 a minute the broadcast is done when the next slot comes and finds nobody left.
    for (let i = 0; i < 800 && (await store.broadcasts.get(id))?.status !== 'done'; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await store.broadcasts.figures(id)).toMatchObject({ sent: 1, failed: 0, queued: 0 });
    expect(shared.sent).toHaveLength(1);
    expect(shared.sent[0]!.chatId).toBe('50688887777@c.us');
    expect(shared.sent[0]!.text).toContain('Vacunas gratis.');
    expect(shared.sent[0]!.text).toContain('poko nan lang ou');
    await adapter.stop();
  }, 60_000);
});
