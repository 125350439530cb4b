import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { OutboxStore } from '../src/outbox/contract.js';
import { Bucket } from '../src/outbox/limiter.js';
import { AddressSeal } from '../src/outbox/seal.js';
import { OutboxSender, type SendOutcome, type Transport } from '../src/outbox/sender.js';
import { SqliteOutbox } from '../src/outbox/sqlite.js';
import { createLogger } from '../src/runtime/log.js';
import { openDb } from '../src/store/db.js';

/** The outbox's persistence contract; each store engine runs these cases. */
const engines: Array<{
  name: string;
  make: (now: () => number) => { store: OutboxStore; raw: () => string };
}> = [
  {
    name: 'SQLite',
    make: (now) => {
      const db = openDb(':memory:');
      return {
        store: new SqliteOutbox(db, new AddressSeal(randomBytes(32)), now),
        raw: () => JSON.stringify(db.prepare('SELECT * FROM outbox').all()),
      };
    },
  },
];

for (const engine of engines) {
  describe(`outbox store contract: ${engine.name}`, () => {
    const row = (userKey: string, n: number, priority: 0 | 1 | 2 = 0) => ({
      channel: 'telegram',
      userKey,
      address: `5550${userKey}`,
      payload: { n },
      priority,
    });

    it("hands out only each chat's oldest pending message, replies before broadcasts", () => {
      let t = 1000;
      const { store } = engine.make(() => t);
      store.enqueue([row('b', 1, 2), row('b', 2, 2)]);
      store.enqueue([row('a', 1), row('a', 2)]);
      store.enqueue([{ ...row('c', 1), channel: 'whatsapp' }]);
      const first = store.claim('telegram', t, 10, new Set());
      expect(first.map((c) => [c.userKey, c.payload])).toEqual([
        ['a', { n: 1 }],
        ['b', { n: 1 }],
      ]);
      expect(first[0]!.address).toBe('5550a');
      expect(store.claim('telegram', t, 10, new Set(['a'])).map((c) => c.userKey)).toEqual(['b']);
      store.markSent(first[0]!.id);
      expect(store.claim('telegram', t, 1, new Set()).map((c) => c.payload)).toEqual([{ n: 2 }]);
      t += 5000;
      expect(store.stats(t)).toEqual({ backlog: 4, oldestPendingMs: 5000 });
      expect(store.stats(t, 'whatsapp').backlog).toBe(1);
    });

    it('a message to retry later holds back the rest of its chat until then', () => {
      const t = 1000;
      const { store } = engine.make(() => t);
      store.enqueue([row('a', 1), row('a', 2)]);
      const [head] = store.claim('telegram', t, 10, new Set());
      store.retryAt(head!.id, t + 60_000, 'transient');
      expect(store.claim('telegram', t, 10, new Set())).toEqual([]);
      const again = store.claim('telegram', t + 60_000, 10, new Set());
      expect(again.map((c) => [c.payload, c.attempts])).toEqual([[{ n: 1 }, 1]]);
    });

    it('a failed message keeps its reason only, and goes at the purge; a user is deleted with everything pending', () => {
      let t = 1000;
      const { store, raw } = engine.make(() => t);
      store.enqueue([row('a', 1), row('b', 1), row('b', 2)]);
      const [a] = store.claim('telegram', t, 1, new Set());
      store.markFailed(a!.id, 'rejected');
      expect(raw()).toContain('rejected');
      expect(raw()).not.toContain('"a"');
      store.deleteUser('b');
      expect(store.stats(t).backlog).toBe(0);
      t += 10;
      expect(store.purge(t)).toBe(1);
      expect(raw()).toBe('[]');
    });

    it('keeps no address or text in clear', () => {
      const { store, raw } = engine.make(() => 1000);
      store.enqueue([{ ...row('a', 1), address: '50937001234', payload: { text: 'Hola María' } }]);
      expect(raw()).not.toContain('50937001234');
      expect(raw()).not.toContain('María');
    });
  });
}

describe('the sender', () => {
  it("sends a chat's messages in order, one at a time, and marks each sent", async () => {
    const db = openDb(':memory:');
    const store = new SqliteOutbox(db, new AddressSeal(randomBytes(32)));
    const order: string[] = [];
    let inflight = 0;
    let most = 0;
    const transport: Transport = {
      async send(address, payload): Promise<SendOutcome> {
        inflight++;
        most = Math.max(most, inflight);
        await new Promise((r) => setTimeout(r, 2));
        order.push(`${address}:${(payload as { n: number }).n}`);
        inflight--;
        return { ok: true };
      },
    };
    for (let n = 0; n < 5; n++) store.enqueue([{ channel: 't', userKey: 'a', address: 'A', payload: { n } }]);
    const sender = new OutboxSender({
      channel: 't',
      store,
      transport,
      log: createLogger('silent'),
      limits: { perSecond: 10_000, perChatPerSecond: 10_000, chatBurst: 100 },
    });
    sender.start();
    await sender.stop(10_000);
    expect(order).toEqual(['A:0', 'A:1', 'A:2', 'A:3', 'A:4']);
    expect(most).toBe(1);
    expect(store.stats(Date.now()).backlog).toBe(0);
  });

  it('gives up on a message after OUTBOX_RETRY_H of failures, with the reason', async () => {
    let t = 0;
    const db = openDb(':memory:');
    const store = new SqliteOutbox(db, new AddressSeal(randomBytes(32)), () => t);
    store.enqueue([{ channel: 't', userKey: 'a', address: 'A', payload: {} }]);
    const sender = new OutboxSender({
      channel: 't',
      store,
      transport: { send: async () => ({ ok: false, kind: 'transient', reason: '502' }) },
      log: createLogger('silent'),
      limits: { retryForMs: 3600_000 },
      now: () => t,
    });
    sender.start();
    for (let i = 0; i < 40 && store.stats(t).backlog; i++) {
      await new Promise((r) => setTimeout(r, 20));
      t += 10 * 60_000;
      sender.wake();
    }
    await sender.stop(0);
    expect(store.stats(t).backlog).toBe(0);
    expect(db.prepare('SELECT reason FROM outbox').pluck().all()).toEqual(['retries']);
  });

  it('paces by token buckets: a burst, then the sustained rate', () => {
    const b = new Bucket(1, 3, 0);
    expect([b.take(0), b.take(0), b.take(0)]).toEqual([0, 0, 0]);
    expect(b.take(0)).toBe(1000);
    expect(b.take(1000)).toBe(0);
    expect(b.take(1000)).toBeGreaterThan(0);
  });
});
