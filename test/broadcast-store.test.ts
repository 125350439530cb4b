import { afterEach, describe, expect, it } from 'vitest';
import { ReplyPriority } from '../src/broadcast/priority.js';
import { BroadcastWorker } from '../src/broadcast/worker.js';
import { OutboxSender } from '../src/outbox/sender.js';
import { createLogger } from '../src/runtime/log.js';
import { range, seedSubscribers, TEXTS } from './support/broadcast-seed.js';
import { Harness } from './support/harness.js';

const one = () => [new Uint8Array([1])];

/** The broadcast messages waiting in the outbox, oldest first. */
function waiting(h: Harness): Array<{ id: number; user_key: string; delivery_id: number }> {
  return h.app.db
    .prepare(
      'SELECT id, user_key, delivery_id FROM outbox WHERE state = 0 AND delivery_id IS NOT NULL ORDER BY id',
    )
    .all() as Array<{ id: number; user_key: string; delivery_id: number }>;
}

/** A broadcast worker that feeds the Telegram outbox of `sender` at 200 a second. */
function telegramWorker(h: Harness, sender: OutboxSender, alone = false): BroadcastWorker {
  const { bot } = h.app;
  return new BroadcastWorker({
    store: h.app.store.broadcasts,
    alone,
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
    log: createLogger('silent'),
    idleMs: 20,
  });
}

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
    // A delivery moved into the outbox is not moved again: the next move takes another.
    const now = Date.now();
    const plan = { channel: 'telegram', now, gapMs: 1, maxLateMs: 60_000, ahead: 100, limit: 1 };
    const [first] = (await store.move(plan, one)).keys;
    const [second] = (await store.move({ ...plan, now: now + 10 }, one)).keys;
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    const rows = waiting(h);
    expect(rows.map((r) => r.user_key)).toEqual([first, second]);
    expect(new Set(rows.map((r) => r.delivery_id)).size).toBe(2);
    // Its outbox row's end settles it, once: the first outcome stands.
    await h.app.store.outbox.markSent(rows[0]!.id, rows[0]!.user_key, []);
    await h.app.store.outbox.markFailed(rows[0]!.id, 'rejected');
    expect(await store.figures(id)).toMatchObject({ queued: 29, sent: 1, failed: 0 });
    expect(await store.cancel(id)).toBe(true);
    expect(waiting(h)).toEqual([]);
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
    const worker = telegramWorker(h, sender);
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

  it('the only instance gives back at start what an earlier version claimed, and sends it', async () => {
    h = new Harness();
    seedSubscribers(h, range(1, 4));
    const store = h.app.store.broadcasts;
    const id = await store.create('covid', TEXTS, []);
    await store.queue(id);
    expect(await store.expand(['telegram'])).toEqual([id]);
    // As an earlier version left two deliveries it had claimed for an hour and never sent.
    const claimed = h.app.db
      .prepare(
        `UPDATE broadcast_deliveries SET claimed_until = ?, claimed_by = 'old'
         WHERE id IN (SELECT id FROM broadcast_deliveries ORDER BY id LIMIT 2)`,
      )
      .run(Date.now() + 3_600_000).changes;
    expect(claimed).toBe(2);
    const sent: string[] = [];
    const log = createLogger('silent');
    const { bot } = h.app;
    const sender = new OutboxSender({
      channel: 'telegram',
      store: h.app.store.outbox,
      seal: bot.seal,
      transport: {
        send: async (address) => {
          sent.push(address);
          return { ok: true, ids: [] };
        },
      },
      log,
      limits: { perSecond: 1000 },
    });
    const worker = telegramWorker(h, sender, true);
    sender.start();
    worker.start();
    const end = Date.now() + 10_000;
    while ((await store.get(id))?.status !== 'done' && Date.now() < end)
      await new Promise((r) => setTimeout(r, 20));
    await worker.stop();
    await sender.stop();
    expect([...sent].sort()).toEqual(['1', '2', '3', '4']);
    expect(await store.figures(id)).toMatchObject({ queued: 0, sent: 4 });
  });
});
