import { afterEach, describe, expect, it } from 'vitest';
import { ReplyPriority } from '../src/broadcast/priority.js';
import { BroadcastWorker } from '../src/broadcast/worker.js';
import { OutboxSender } from '../src/outbox/sender.js';
import { createLogger } from '../src/runtime/log.js';
import { range, seedSubscribers, TEXTS } from './support/broadcast-seed.js';
import { Harness } from './support/harness.js';

describe('broadcast store and worker', () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

  it('makes one delivery per subscriber, once, whatever is retried', async () => {
    h = new Harness();
    seedSubscribers(h, range(1, 30));
    seedSubscribers(h, range(100, 5), 'covid', 'whatsapp');
    const store = h.app.store.broadcasts;
    const id = await store.create('covid', TEXTS, []);
    expect(await store.expand(['telegram'])).toEqual([]);
    await store.queue(id);
    expect(await store.queue(id)).toBe(false);
    expect(await store.expand(['telegram'])).toEqual([id]);
    expect((await store.figures(id)).queued).toBe(30);
    // A second expansion (a restart before the status was seen) adds nobody.
    h.app.db.prepare(`UPDATE broadcasts SET status = 'queued' WHERE id = ?`).run(id);
    await store.expand(['telegram']);
    expect((await store.figures(id)).queued).toBe(30);
    const row = h.app.db.prepare('SELECT user_key FROM broadcast_deliveries LIMIT 1').get() as {
      user_key: string;
    };
    expect(() =>
      h!.app.db
        .prepare(
          `INSERT INTO broadcast_deliveries (broadcast_id, user_key, channel, lang, address, state) VALUES (?, ?, 'telegram', 'es', '', 'queued')`,
        )
        .run(id, row.user_key),
    ).toThrow(/UNIQUE/);
    // A claimed delivery is nobody else's until its claim runs out or is given back.
    const now = Date.now();
    const [first] = await store.claim('telegram', 1, 'one', now);
    const [second] = await store.claim('telegram', 1, 'two', now);
    expect(second!.id).not.toBe(first!.id);
    await store.release('two');
    expect((await store.claim('telegram', 1, 'three', now))[0]!.id).toBe(second!.id);
    await store.settle(first!.id, 'sent', Date.now());
    await store.settle(first!.id, 'failed', Date.now());
    expect(await store.figures(id)).toMatchObject({ queued: 29, sent: 1, failed: 0 });
    expect(await store.cancel(id)).toBe(true);
    expect(await store.figures(id)).toMatchObject({ queued: 0, sent: 1 });
    expect((await store.get(id))?.status).toBe('cancelled');
    expect(await store.cancel(id)).toBe(false);
  });

  it('the worker waits while a reply is in progress, and sends each subscriber once', async () => {
    h = new Harness();
    seedSubscribers(h, range(1, 12));
    const id = await h.app.store.broadcasts.create('covid', TEXTS, []);
    await h.app.store.broadcasts.queue(id);
    const priority = new ReplyPriority();
    const sent: string[] = [];
    const blocked: string[] = [];
    const log = createLogger('silent');
    const { bot } = h.app;
    const sender = new OutboxSender({
      channel: 'telegram',
      store: h.app.store.outbox,
      seal: bot.seal,
      transport: {
        send: async (address) => {
          sent.push(address);
          return address === '5' ? { ok: false, kind: 'blocked' } : { ok: true, ids: [] };
        },
      },
      log,
      replying: () => priority.replying('telegram'),
      limits: { perSecond: 1000 },
      hooks: {
        blocked: (key) => {
          blocked.push(
            range(1, 12)
              .find((c) => bot.userKeyOf('telegram', String(c)) === key)!
              .toString(),
          );
        },
      },
    });
    const release = priority.hold('telegram');
    const worker = new BroadcastWorker({
      store: h.app.store.broadcasts,
      outboxes: [
        {
          channel: 'telegram',
          rate: 200,
          render: (b, lang) => [{ m: 'send', text: b.texts[lang] ?? '' }],
          wake: (key) => sender.wake(key),
        },
      ],
      seal: bot.seal,
      addresses: bot.addresses,
      log,
      idleMs: 20,
    });
    sender.start();
    worker.start();
    await new Promise((r) => setTimeout(r, 200));
    expect(sent).toEqual([]);
    release();
    const end = Date.now() + 10_000;
    while ((await h.app.store.broadcasts.get(id))?.status !== 'done' && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    await worker.stop();
    await sender.stop();
    expect([...sent].sort((a, b) => Number(a) - Number(b))).toEqual(range(1, 12).map(String));
    expect(blocked).toEqual(['5']);
    expect(await h.app.store.broadcasts.figures(id)).toMatchObject({ sent: 11, blocked: 1, queued: 0 });
  });
});
