import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newSession } from '../src/engine/types.js';
import { LEASE_MS, type Priority } from '../src/outbox/contract.js';
import { Bucket } from '../src/outbox/limiter.js';
import { AddressSeal } from '../src/outbox/seal.js';
import { OutboxSender, type SendOutcome, type Transport } from '../src/outbox/sender.js';
import { createLogger } from '../src/runtime/log.js';
import type { Store, Write } from '../src/store/contract.js';
import { PostgresStore } from '../src/store/postgres/store.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { freshSchema } from './support/postgres.js';

/**
 * The outbox's persistence contract and its sender, run against every store engine. A second
 * store on the same database stands for a second instance.
 */
type Engine = {
  name: string;
  /** A store on an empty outbox; `again` opens another store on the same database. */
  open: (
    now: () => number,
  ) => Promise<{ store: Store; again: () => Promise<Store>; raw: () => Promise<string> }>;
};

const dir = mkdtempSync(join(tmpdir(), 'puente-outbox-'));
let schema: { url: string; drop: () => Promise<void> } | undefined;
let n = 0;
const opened: Store[] = [];

const ENGINES: Engine[] = [
  {
    name: 'sqlite',
    open: async (now) => {
      const file = join(dir, `o${++n}.db`);
      const store = SqliteStore.open(file, now);
      opened.push(store);
      return {
        store,
        again: async () => {
          const s = SqliteStore.open(file, now);
          opened.push(s);
          return s;
        },
        raw: async () => JSON.stringify(store.db.prepare('SELECT * FROM outbox').all()),
      };
    },
  },
  {
    name: 'postgres',
    open: async (now) => {
      schema ??= await freshSchema();
      const url = schema.url;
      const store = await PostgresStore.open(url, { now });
      opened.push(store);
      await store.pool.query('TRUNCATE outbox, sessions');
      return {
        store,
        again: async () => {
          const s = await PostgresStore.open(url, { now });
          opened.push(s);
          return s;
        },
        raw: async () => {
          const { rows } = await store.pool.query('SELECT * FROM outbox');
          return JSON.stringify(rows.map((r) => ({ ...r, body: Buffer.from(r.body).toString('latin1') })));
        },
      };
    },
  },
];

afterAll(async () => {
  for (const s of opened) await s.close().catch(() => {});
  await schema?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const seal = new AddressSeal(randomBytes(32));
const T0 = 1_000_000;

const out = (address: string, payload: unknown, channel = 'telegram', priority: Priority = 0): Write => ({
  type: 'outbox',
  channel,
  priority,
  body: seal.seal(JSON.stringify({ a: address, p: payload })),
});
const opened_ = (body: Uint8Array) => JSON.parse(seal.open(Buffer.from(body))) as { a: string; p: unknown };
const write = (store: Store, key: string, writes: Write[]) =>
  store.turn(key, () => ({ result: undefined, writes }));
const payloads = (rows: Array<{ body: Uint8Array }>) => rows.map((r) => opened_(r.body).p);
const session: Write = {
  type: 'session.put',
  channel: 'telegram',
  session: newSession('es'),
  seen: [],
};

describe.each(ENGINES)('outbox store contract: $name', (engine) => {
  it("hands out only each chat's oldest pending message, replies before broadcasts", async () => {
    let t = T0;
    const { store } = await engine.open(() => t);
    await write(store, 'b', [out('B', { n: 1 }, 'telegram', 2), out('B', { n: 2 }, 'telegram', 2)]);
    await write(store, 'a', [out('A', { n: 1 }), out('A', { n: 2 })]);
    await write(store, 'c', [out('C', { n: 1 }, 'whatsapp')]);
    const first = await store.outbox.claim('telegram', t, 10, new Set());
    expect(first.map((c) => [c.userKey, opened_(c.body).p])).toEqual([
      ['a', { n: 1 }],
      ['b', { n: 1 }],
    ]);
    expect(opened_(first[0]!.body).a).toBe('A');
    // Claimed already, by this sender: handed out again only to it, and never the chat's next one.
    expect((await store.outbox.claim('telegram', t, 10, new Set(['a']))).map((c) => c.userKey)).toEqual([
      'b',
    ]);
    await store.outbox.markSent(first[0]!.id, 'a', []);
    expect(payloads(await store.outbox.claim('telegram', t, 1, new Set()))).toEqual([{ n: 2 }]);
    t += 5000;
    expect(await store.outbox.stats(t)).toEqual({ backlog: 4, oldestPendingMs: 5000 });
    expect((await store.outbox.stats(t, 'whatsapp')).backlog).toBe(1);
  });

  it("counts a user's unsent messages of one priority, pending or held, on one channel", async () => {
    const t = T0;
    const { store } = await engine.open(() => t);
    const relay = 1 as const;
    expect(await store.outbox.unsent('whatsapp-cloud', 'a', relay)).toBe(0);
    await write(store, 'a', [
      out('A', { n: 1 }, 'whatsapp-cloud', relay),
      out('A', { n: 2 }, 'whatsapp-cloud', relay),
      out('A', { n: 3 }, 'whatsapp-cloud', 2),
      out('A', { n: 4 }, 'telegram', relay),
    ]);
    await write(store, 'b', [out('B', { n: 1 }, 'whatsapp-cloud', relay)]);
    expect(await store.outbox.unsent('whatsapp-cloud', 'a', relay)).toBe(2);
    const [head] = await store.outbox.claim('whatsapp-cloud', t, 10, new Set());
    await store.outbox.hold(head!.id, 'window');
    expect(await store.outbox.unsent('whatsapp-cloud', 'a', relay)).toBe(2);
    await store.outbox.release('a', t);
    const [again] = await store.outbox.claim('whatsapp-cloud', t, 10, new Set(['b']));
    await store.outbox.markSent(again!.id, 'a', []);
    expect(await store.outbox.unsent('whatsapp-cloud', 'a', relay)).toBe(1);
    expect(await store.outbox.unsent('whatsapp-cloud', 'a', 2)).toBe(1);
    expect(await store.outbox.unsent('whatsapp-cloud', 'b', relay)).toBe(1);
  });

  it('a message to retry later holds back the rest of its chat until then', async () => {
    const t = T0;
    const { store } = await engine.open(() => t);
    await write(store, 'a', [out('A', { n: 1 }), out('A', { n: 2 })]);
    const [head] = await store.outbox.claim('telegram', t, 10, new Set());
    await store.outbox.retryAt(head!.id, t + 60_000, 'transient');
    expect(await store.outbox.claim('telegram', t, 10, new Set())).toEqual([]);
    expect(await store.outbox.head('telegram', 'a', t)).toBeNull();
    const again = await store.outbox.claim('telegram', t + 60_000, 10, new Set());
    expect(again.map((c) => [opened_(c.body).p, c.attempts])).toEqual([[{ n: 1 }, 1]]);
  });

  it('a claimed message is leased: another instance gets neither it nor its chat until the lease ends', async () => {
    const t = T0;
    const { store, again } = await engine.open(() => t);
    const other = await again();
    await write(store, 'a', [out('A', { n: 1 }), out('A', { n: 2 })]);
    await write(store, 'b', [out('B', { n: 1 })]);
    const mine = await store.outbox.claim('telegram', t, 1, new Set());
    expect(mine.map((c) => c.userKey)).toEqual(['a']);
    expect((await other.outbox.claim('telegram', t, 10, new Set())).map((c) => c.userKey)).toEqual(['b']);
    expect(await other.outbox.head('telegram', 'a', t)).toBeNull();
    // The first sender died mid-send: after the lease, the other instance sends the message.
    const taken = await other.outbox.claim('telegram', t + LEASE_MS, 10, new Set(['b']));
    expect(taken.map((c) => [c.userKey, opened_(c.body).p])).toEqual([['a', { n: 1 }]]);
  });

  it('two instances claiming at once never get the same chat', async () => {
    const t = T0;
    const { store, again } = await engine.open(() => t);
    const other = await again();
    for (let u = 0; u < 40; u++)
      await write(store, `u${u}`, [out(`U${u}`, { n: 1 }), out(`U${u}`, { n: 2 })]);
    const got = (
      await Promise.all([store, other].map((s) => s.outbox.claim('telegram', t, 30, new Set())))
    ).flat();
    expect(got.length).toBe(40);
    const ids = got.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(got.map((c) => c.userKey)).size).toBe(got.length);
    expect(payloads(got).every((p) => (p as { n: number }).n === 1)).toBe(true);
  });

  it('a failed message keeps its reason only, and goes at the purge', async () => {
    let t = T0;
    const { store, raw } = await engine.open(() => t);
    await write(store, 'userA', [out('A', { n: 1 })]);
    await write(store, 'userB', [out('B', { n: 1 }), out('B', { n: 2 })]);
    const [a] = await store.outbox.claim('telegram', t, 1, new Set());
    await store.outbox.markFailed(a!.id, 'rejected');
    expect(await raw()).toContain('rejected');
    expect(await raw()).not.toContain('userA');
    await store.outbox.deleteUser('userB');
    expect((await store.outbox.stats(t)).backlog).toBe(0);
    t += 10;
    expect(await store.outbox.purge(t)).toBe(1);
    expect(await raw()).toBe('[]');
  });

  it('keeps no address or text in clear', async () => {
    const { store, raw } = await engine.open(() => T0);
    await write(store, 'a', [out('50937001234', { text: 'Hola María' })]);
    expect(await raw()).not.toContain('50937001234');
    expect(await raw()).not.toContain('María');
  });

  it("a forget deletes the user's pending messages; the turn's own goodbye after it stays", async () => {
    const t = T0;
    const { store } = await engine.open(() => t);
    await write(store, 'a', [session, out('A', { n: 1 }), out('A', { n: 2 })]);
    await write(store, 'b', [session, out('B', { n: 1 })]);
    await write(store, 'a', [{ type: 'forget' }, out('A', { bye: true })]);
    expect(payloads(await store.outbox.claim('telegram', t, 10, new Set(['b'])))).toEqual([{ bye: true }]);
    await store.forget('b');
    expect((await store.outbox.stats(t)).backlog).toBe(1);
  });

  it('retention takes the pending messages of the users it purges', async () => {
    let t = T0;
    const { store } = await engine.open(() => t);
    await write(store, 'old', [session, out('O', { n: 1 })]);
    t += 10 * 86_400_000;
    await write(store, 'new', [session, out('N', { n: 1 })]);
    await store.purge(t - 86_400_000);
    const left = await store.outbox.claim('telegram', t, 10, new Set());
    expect(left.map((c) => c.userKey)).toEqual(['new']);
    expect((await store.outbox.stats(t)).backlog).toBe(1);
  });

  it("a sent message's ids join the user's recent messages, for a quick exit", async () => {
    const t = T0;
    const { store } = await engine.open(() => t);
    await write(store, 'a', [session, out('A', { n: 1 })]);
    const [row] = await store.outbox.claim('telegram', t, 1, new Set());
    await store.outbox.markSent(row!.id, 'a', ['77', '78']);
    expect((await store.outbox.stats(t)).backlog).toBe(0);
    const recent = await store.turn('a', (loaded) => ({ result: loaded.recent(), writes: [] }));
    expect(recent).toEqual(expect.arrayContaining(['77', '78']));
  });

  it("the sender sends a chat's messages in order, one at a time, and marks each sent", async () => {
    const { store } = await engine.open(() => Date.now());
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
    for (let k = 0; k < 5; k++) await write(store, 'a', [out('A', { n: k }, 't')]);
    const sender = new OutboxSender({
      channel: 't',
      store: store.outbox,
      seal,
      transport,
      log: createLogger('silent'),
      limits: { perSecond: 10_000, perChatPerSecond: 10_000, chatBurst: 100 },
    });
    sender.start();
    await sender.stop(10_000);
    expect(order).toEqual(['A:0', 'A:1', 'A:2', 'A:3', 'A:4']);
    expect(most).toBe(1);
    expect((await store.outbox.stats(Date.now())).backlog).toBe(0);
  });

  it('two senders on two instances send every message once, in order per chat', async () => {
    const { store, again } = await engine.open(() => Date.now());
    const other = await again();
    const got = new Map<string, number[]>();
    let calls = 0;
    const transport: Transport = {
      async send(address, payload): Promise<SendOutcome> {
        calls++;
        await new Promise((r) => setTimeout(r, 1));
        got.set(address, [...(got.get(address) ?? []), (payload as { n: number }).n]);
        return { ok: true };
      },
    };
    for (let u = 0; u < 20; u++)
      await write(
        store,
        `u${u}`,
        [0, 1, 2].map((k) => out(`U${u}`, { n: k }, 't')),
      );
    const senders = [store, other].map(
      (s) =>
        new OutboxSender({
          channel: 't',
          store: s.outbox,
          seal,
          transport,
          log: createLogger('silent'),
          limits: { perSecond: 10_000, perChatPerSecond: 10_000, chatBurst: 100 },
        }),
    );
    for (const s of senders) s.start();
    await Promise.all(senders.map((s) => s.stop(20_000)));
    expect(calls).toBe(60);
    for (let u = 0; u < 20; u++) expect(got.get(`U${u}`)).toEqual([0, 1, 2]);
  });

  it('the sender gives up on a message after OUTBOX_RETRY_H of failures, with the reason', async () => {
    let t = 0;
    const { store, raw } = await engine.open(() => t);
    await write(store, 'a', [out('A', {}, 't')]);
    const sender = new OutboxSender({
      channel: 't',
      store: store.outbox,
      seal,
      transport: { send: async () => ({ ok: false, kind: 'transient', reason: '502' }) },
      log: createLogger('silent'),
      limits: { retryForMs: 3600_000 },
      now: () => t,
    });
    sender.start();
    for (let i = 0; i < 40 && (await store.outbox.stats(t)).backlog; i++) {
      await new Promise((r) => setTimeout(r, 20));
      t += 10 * 60_000;
      sender.wake();
    }
    await sender.stop(0);
    expect((await store.outbox.stats(t)).backlog).toBe(0);
    expect(await raw()).toContain('retries');
  });
});

describe('the limiter', () => {
  it('paces by token buckets: a burst, then the sustained rate', () => {
    const b = new Bucket(1, 3, 0);
    expect([b.take(0), b.take(0), b.take(0)]).toEqual([0, 0, 0]);
    expect(b.take(0)).toBe(1000);
    expect(b.take(1000)).toBe(0);
    expect(b.take(1000)).toBeGreaterThan(0);
  });
});
