import { afterEach, describe, expect, it } from 'vitest';
import { ReplyPriority } from '../src/broadcast/priority.js';
import { type BroadcastSender, BroadcastWorker } from '../src/broadcast/worker.js';
import { createLogger } from '../src/runtime/log.js';
import { range, seedSubscribers, TEXTS } from './support/broadcast-seed.js';
import { Harness } from './support/harness.js';

describe('broadcast store and worker', () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

  it('makes one delivery per subscriber, once, whatever is retried', () => {
    h = new Harness();
    seedSubscribers(h, range(1, 30));
    seedSubscribers(h, range(100, 5), 'covid', 'whatsapp');
    const store = h.app.bot.broadcasts;
    const id = store.create('covid', TEXTS, []);
    expect(store.expand(['telegram'])).toEqual([]);
    store.queue(id);
    expect(store.queue(id)).toBe(false);
    expect(store.expand(['telegram'])).toEqual([id]);
    expect(store.figures(id).queued).toBe(30);
    // A second expansion (a restart before the status was seen) adds nobody.
    h.app.db.prepare(`UPDATE broadcasts SET status = 'queued' WHERE id = ?`).run(id);
    store.expand(['telegram']);
    expect(store.figures(id).queued).toBe(30);
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
    const [first] = store.next('telegram', 1);
    store.settle(first!.id, 'sent', Date.now());
    store.settle(first!.id, 'failed', Date.now());
    expect(store.figures(id)).toMatchObject({ queued: 29, sent: 1, failed: 0 });
    expect(store.cancel(id)).toBe(true);
    expect(store.figures(id)).toMatchObject({ queued: 0, sent: 1 });
    expect(store.get(id)?.status).toBe('cancelled');
    expect(store.cancel(id)).toBe(false);
  });

  it('the worker waits while a reply is in progress, and sends each subscriber once', async () => {
    h = new Harness();
    seedSubscribers(h, range(1, 12));
    const id = h.app.bot.broadcasts.create('covid', TEXTS, []);
    h.app.bot.broadcasts.queue(id);
    const priority = new ReplyPriority();
    const sent: string[] = [];
    const sender: BroadcastSender = {
      channel: 'telegram',
      rate: 200,
      send: async ({ address }) => {
        sent.push(address);
        return address === '5' ? 'blocked' : 'sent';
      },
    };
    const blocked: string[] = [];
    const release = priority.hold('telegram');
    const worker = new BroadcastWorker({
      store: h.app.bot.broadcasts,
      senders: [sender],
      priority,
      addresses: h.app.bot.addresses,
      log: createLogger('silent'),
      onBlocked: (_channel, address) => blocked.push(address),
      idleMs: 20,
    });
    worker.start();
    await new Promise((r) => setTimeout(r, 200));
    expect(sent).toEqual([]);
    release();
    const end = Date.now() + 10_000;
    while (h.app.bot.broadcasts.get(id)?.status !== 'done' && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    await worker.stop();
    expect([...sent].sort((a, b) => Number(a) - Number(b))).toEqual(range(1, 12).map(String));
    expect(blocked).toEqual(['5']);
    expect(h.app.bot.broadcasts.figures(id)).toMatchObject({ sent: 11, blocked: 1, queued: 0 });
  });
});
