import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery, MovePlan } from '../src/broadcast/store.js';
import { newSession } from '../src/engine/types.js';
import { type Chunk, type Store, type Write, WriteSchema } from '../src/store/contract.js';
import { PostgresStore } from '../src/store/postgres/store.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { HOUR, MINUTE } from '../src/store/times.js';
import { Harness } from './support/harness.js';
import { freshSchema } from './support/postgres.js';

type Engine = { name: string; open: (now: () => number) => Promise<Store>; done: () => Promise<void> };

const dir = mkdtempSync(join(tmpdir(), 'puente-contract-'));
let drop: (() => Promise<void>) | undefined;
let pgUrl = '';
let n = 0;

const ENGINES: Engine[] = [
  {
    name: 'sqlite',
    open: async (now) => SqliteStore.open(join(dir, `s${++n}.db`), now),
    done: async () => {},
  },
  {
    name: 'postgres',
    open: async (now) => {
      if (!pgUrl) {
        const s = await freshSchema();
        pgUrl = s.url;
        drop = s.drop;
      }
      const store = await PostgresStore.open(pgUrl, { now });
      // One schema per run; each case starts from empty tables.
      await store.pool.query(
        `TRUNCATE sessions, events, feedback, unanswered, daily_counts, faq_entries, content_snapshots, meta,
         handoffs, media_uploads, subscriptions, broadcast_deliveries, broadcasts, outbox, broadcast_pace`,
      );
      return store;
    },
    done: async () => drop?.(),
  },
];

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 5, 1, 10, 17, 23);
const put = (lang: 'es' | 'en' | 'ht', seen: string[] = []): Write => ({
  type: 'session.put',
  channel: 'telegram',
  session: newSession(lang),
  seen,
  inboundAt: T0 - (T0 % MINUTE),
});

describe.each(ENGINES)('store contract: $name', (engine) => {
  let now = T0;
  let store: Store;
  const fresh = async () => {
    await store?.close();
    now = T0;
    store = await engine.open(() => now);
  };
  beforeAll(fresh);
  afterAll(async () => {
    await store.close();
    await engine.done();
  });

  it('stores a session in a turn and reads it back in the next', async () => {
    await fresh();
    const first = await store.turn('k1', (loaded) => ({
      result: loaded.stored,
      writes: [put('ht', ['d1'])],
    }));
    expect(first).toBeNull();
    const second = await store.turn('k1', (loaded) => ({ result: loaded.stored, writes: [] }));
    expect(second).toMatchObject({ session: { lang: 'ht' }, seen: ['d1'], inboundAt: T0 - (T0 % MINUTE) });
    expect(await store.session('k1')).toEqual(second);
    expect(await store.countSessions()).toBe(1);
  });

  it('runs the turns of one key one after the other: no write is lost', async () => {
    await fresh();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.turn('k2', (loaded) => ({
          result: null,
          writes: [put('es', [...(loaded.stored?.seen ?? []), `d${i}`])],
        })),
      ),
    );
    expect((await store.session('k2'))?.seen).toHaveLength(20);
  });

  it('rolls a failed turn back whole', async () => {
    await fresh();
    await store.turn('k3', () => ({ result: null, writes: [put('es', ['a'])] }));
    await expect(
      store.turn('k3', () => {
        throw new Error('the engine failed');
      }),
    ).rejects.toThrow('the engine failed');
    expect((await store.session('k3'))?.seen).toEqual(['a']);
  });

  it('keeps recent message ids beside the session, and none for a user without one', async () => {
    await fresh();
    await store.appendRecent('nobody', ['1']);
    expect(await store.session('nobody')).toBeNull();
    await store.turn('k4', () => ({
      result: null,
      writes: [put('es'), { type: 'recent.append', ids: ['10'] }],
    }));
    await store.appendRecent('k4', ['11', 'not an id!']);
    expect(await store.turn('k4', (l) => ({ result: l.recent(), writes: [] }))).toEqual(['10', '11']);
  });

  it('forgets everything of a user, in a turn and outside one', async () => {
    await fresh();
    await store.turn('k5', () => ({
      result: null,
      writes: [put('es'), { type: 'recent.append', ids: ['1'] }],
    }));
    await store.turn('k5', () => ({
      result: null,
      writes: [{ type: 'forget' }, { type: 'recent.append', ids: ['2'] }],
    }));
    expect(await store.session('k5')).toBeNull();
    await store.turn('k6', () => ({ result: null, writes: [put('en')] }));
    await store.forget('k6');
    expect(await store.session('k6')).toBeNull();
    expect(await store.lastInbound('k6')).toBeNull();
  });

  it('counts records by the hour, with no key, and reports them', async () => {
    await fresh();
    now = T0;
    await store.turn('k7', () => ({
      result: null,
      writes: [
        put('es'),
        {
          type: 'event',
          name: 'conversation_started',
          channel: 'telegram',
          lang: 'es',
          campaign: 'radio-7',
          flow: null,
          faq: null,
        },
        {
          type: 'event',
          name: 'faq_shown',
          channel: 'telegram',
          lang: 'es',
          campaign: null,
          flow: null,
          faq: 'a.b',
        },
        { type: 'feedback', faq: 'a.b', lang: 'es', helpful: true },
        { type: 'unanswered', lang: 'es', query: 'quien gano' },
      ],
    }));
    const report = await store.report(T0 - HOUR);
    expect(report.conversations).toEqual([
      { channel: 'telegram', lang: 'es', campaign: 'radio-7', count: 1 },
    ]);
    expect(report.faq).toEqual([{ id: 'a.b', shown: 1, helpful: 1, notHelpful: 0 }]);
    expect(report.unanswered).toEqual([{ query: 'quien gano', lang: 'es', count: 1 }]);
  });

  it('lists every unanswered question since a time, most asked first, with its last hour', async () => {
    await fresh();
    const ask = async (key: string, lang: string, query: string) =>
      store.turn(key, () => ({ result: null, writes: [{ type: 'unanswered', lang, query }] }));
    now = T0 - 3 * HOUR;
    await ask('a', 'es', 'muy viejo');
    now = T0;
    await ask('a', 'es', 'el aguinaldo cuando');
    await ask('b', 'ht', 'ki kote biwo a');
    now = T0 + 2 * HOUR;
    await ask('c', 'es', 'el aguinaldo cuando');
    await ask('c', 'en', 'el aguinaldo cuando');
    expect(await store.unanswered(T0 - HOUR)).toEqual([
      { lang: 'es', query: 'el aguinaldo cuando', count: 2, last: Date.UTC(2026, 5, 1, 12) },
      { lang: 'en', query: 'el aguinaldo cuando', count: 1, last: Date.UTC(2026, 5, 1, 12) },
      { lang: 'ht', query: 'ki kote biwo a', count: 1, last: Date.UTC(2026, 5, 1, 10) },
    ]);
    expect((await store.unanswered(0)).map((q) => q.query)).toContain('muy viejo');
  });

  it('counts conversations started per UTC day and language, for the studio chart', async () => {
    await fresh();
    const started = (lang: string | null) => async () =>
      store.turn('d', () => ({
        result: null,
        writes: [
          {
            type: 'event',
            name: 'conversation_started',
            channel: 'telegram',
            lang,
            campaign: null,
            flow: null,
            faq: null,
          },
        ],
      }));
    now = Date.UTC(2026, 4, 30, 23);
    await started('es')();
    now = Date.UTC(2026, 4, 31, 1);
    await started('es')();
    await started('ht')();
    await started(null)();
    now = Date.UTC(2026, 5, 1, 9);
    await started('en')();
    expect(await store.conversationsPerDay(Date.UTC(2026, 4, 31))).toEqual([
      { day: '2026-05-31', lang: null, count: 1 },
      { day: '2026-05-31', lang: 'es', count: 1 },
      { day: '2026-05-31', lang: 'ht', count: 1 },
      { day: '2026-06-01', lang: 'en', count: 1 },
    ]);
  });

  it('keeps no exact time: records to the hour, sessions to the minute and never on the hour', async () => {
    await fresh();
    now = Date.UTC(2026, 5, 1, 11, 0, 30);
    await store.turn('k8', () => ({
      result: null,
      writes: [put('es'), { type: 'unanswered', lang: 'es', query: 'x' }],
    }));
    const rows: Record<string, Array<Record<string, unknown>>> = {};
    for await (const c of store.dump())
      rows[c.table] = [...(rows[c.table] ?? []), ...(c.rows as Array<Record<string, unknown>>)];
    expect(rows.unanswered?.map((r) => r.at)).toEqual([Date.UTC(2026, 5, 1, 11)]);
    const updated = rows.sessions?.[0]?.updatedAt as number;
    expect(updated % MINUTE).toBe(0);
    expect(updated % HOUR).not.toBe(0);
    // Nothing in the record points back at the session's key.
    expect(JSON.stringify(rows.unanswered)).not.toContain('k8');
  });

  it('purges idle sessions and old records, keeping the daily counts', async () => {
    await fresh();
    await store.turn('old', () => ({
      result: null,
      writes: [
        put('es'),
        {
          type: 'event',
          name: 'conversation_started',
          channel: 'telegram',
          lang: 'es',
          campaign: null,
          flow: null,
          faq: null,
        },
        { type: 'unanswered', lang: 'es', query: 'x' },
      ],
    }));
    now = T0 + 40 * 86_400_000;
    await store.turn('new', () => ({ result: null, writes: [put('es')] }));
    const purged = await store.purge(now - 30 * 86_400_000);
    expect(purged).toEqual({ sessions: 1, events: 1, feedback: 0, unanswered: 1 });
    expect(await store.session('old')).toBeNull();
    expect(await store.session('new')).not.toBeNull();
    expect((await store.report(T0 - 86_400_000)).conversations).toEqual([
      { channel: 'telegram', lang: 'es', campaign: null, count: 1 },
    ]);
  });

  const openHandoff = (id: string): Write => ({
    type: 'handoff.open',
    id,
    channel: 'telegram',
    address: `sealed-${id}`,
    pseudonym: '7F3K',
    lang: 'ht',
  });

  it('opens a conversation with a person in a turn, and the next turn of that user loads it', async () => {
    await fresh();
    expect(
      await store.turn('h1', (l) => ({ result: l.handoff(), writes: [put('ht'), openHandoff('a1')] })),
    ).toBeNull();
    const loaded = await store.turn('h1', (l) => ({ result: l.handoff(), writes: [] }));
    expect(loaded).toMatchObject({
      id: 'a1',
      user_key: 'h1',
      channel: 'telegram',
      address: 'sealed-a1',
      pseudonym: '7F3K',
      lang: 'ht',
      thread: null,
      opened_at: T0,
      replied_fast: null,
      closed_at: null,
    });
    // Another user's turn sees none of it.
    expect(await store.turn('h2', (l) => ({ result: l.handoff(), writes: [] }))).toBeNull();
    expect(await store.handoff('a1')).toEqual(loaded);
  });

  it('finds a conversation by its inbox topic, counts the first staff reply, and keeps the idle clock', async () => {
    await fresh();
    await store.turn('h1', () => ({ result: null, writes: [put('es'), openHandoff('b1')] }));
    await store.setHandoffThread('b1', '77');
    expect((await store.handoffByThread('77'))?.id).toBe('b1');
    expect(await store.handoffByThread('78')).toBeNull();
    now = T0 + 30 * MINUTE;
    await store.handoffReplied('b1');
    now = T0 + 3 * HOUR;
    // A later reply does not change whether the first came within the hour.
    await store.handoffReplied('b1');
    expect((await store.handoff('b1'))?.replied_fast).toBe(1);
    now = T0 + 5 * HOUR;
    await store.turn('h1', () => ({ result: null, writes: [{ type: 'handoff.touch', id: 'b1' }] }));
    expect(await store.idleHandoffs(T0 + 5 * HOUR)).toEqual([]);
    expect((await store.idleHandoffs(T0 + 6 * HOUR)).map((r) => r.id)).toEqual(['b1']);
  });

  it('closes in a turn: the user key and sealed address go, the times keep the hour, the report counts', async () => {
    await fresh();
    await store.turn('h1', () => ({ result: null, writes: [put('es'), openHandoff('c1')] }));
    await store.setHandoffThread('c1', '9');
    now = T0 + 20 * MINUTE;
    await store.handoffReplied('c1');
    now = T0 + 2 * HOUR;
    await store.turn('h1', () => ({
      result: null,
      writes: [put('es'), { type: 'handoff.close', id: 'c1' }],
    }));
    expect(await store.turn('h1', (l) => ({ result: l.handoff(), writes: [] }))).toBeNull();
    const row = await store.handoffByThread('9');
    expect(row).toMatchObject({ user_key: null, address: null, closed_at: T0 + 2 * HOUR - (T0 % HOUR) });
    expect(row!.opened_at % HOUR).toBe(0);
    expect(await store.idleHandoffs(Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect((await store.report(T0 - HOUR)).handoffs).toEqual([
      { day: '2026-06-01', opened: 1, answeredWithinHour: 1, closed: 1 },
    ]);
    // Closed twice is closed once.
    expect(await store.closeHandoff('c1')).toBe(false);
  });

  it("scopes a turn's handoff writes to its own user", async () => {
    await fresh();
    await store.turn('h1', () => ({ result: null, writes: [put('es'), openHandoff('d1')] }));
    now = T0 + HOUR;
    await store.turn('h2', () => ({
      result: null,
      writes: [put('es'), { type: 'handoff.touch', id: 'd1' }, { type: 'handoff.close', id: 'd1' }],
    }));
    expect(await store.handoff('d1')).toMatchObject({ user_key: 'h1', last_at: T0, closed_at: null });
  });

  it('forgetting a user closes their conversations, in a turn and outside one; staff can close one alone', async () => {
    await fresh();
    await store.turn('h1', () => ({ result: null, writes: [put('es'), openHandoff('e1')] }));
    await store.turn('h1', () => ({ result: null, writes: [{ type: 'forget' }] }));
    expect(await store.handoff('e1')).toMatchObject({ user_key: null, address: null });
    expect((await store.handoff('e1'))?.closed_at).not.toBeNull();
    await store.turn('h2', () => ({ result: null, writes: [put('es'), openHandoff('e2')] }));
    await store.forget('h2');
    expect(await store.handoff('e2')).toMatchObject({ user_key: null, address: null });
    await store.turn('h3', () => ({ result: null, writes: [put('es'), openHandoff('e3')] }));
    expect(await store.closeHandoff('e3')).toBe(true);
    expect(await store.turn('h3', (l) => ({ result: l.handoff(), writes: [] }))).toBeNull();
    expect(await store.idleHandoffs(Number.MAX_SAFE_INTEGER)).toEqual([]);
    // Nothing left points at any of the three.
    const all = JSON.stringify(await Promise.all(['e1', 'e2', 'e3'].map((id) => store.handoff(id))));
    expect(all).not.toMatch(/h1|h2|h3|sealed/);
  });

  it('counts voice notes per day and language, before the language is known too, after the purge as well', async () => {
    await fresh();
    const voice = (lang: 'ht' | null): Write => ({
      type: 'event',
      name: 'voice_note',
      channel: 'telegram',
      lang,
      campaign: null,
      flow: null,
      faq: null,
    });
    await store.turn('v1', () => ({ result: null, writes: [put('ht'), voice(null)] }));
    await store.turn('v1', () => ({ result: null, writes: [put('ht'), voice('ht')] }));
    now = T0 + 86_400_000;
    await store.turn('v1', () => ({ result: null, writes: [put('ht'), voice('ht')] }));
    const expected = [
      { day: '2026-06-01', lang: null, count: 1 },
      { day: '2026-06-01', lang: 'ht', count: 1 },
      { day: '2026-06-02', lang: 'ht', count: 1 },
    ];
    expect((await store.report(T0 - 86_400_000)).voice).toEqual(expected);
    // Only counts: nothing of a voice note is stored beside them.
    expect((await store.report(T0 - 86_400_000)).conversations).toEqual([]);
    now = T0 + 40 * 86_400_000;
    await store.purge(now - 30 * 86_400_000);
    expect((await store.report(T0 - 86_400_000)).voice).toEqual(expected);
  });

  it('keeps the ids of uploaded recordings per channel and account, and none for a user', async () => {
    await fresh();
    const sha = 'a'.repeat(64);
    expect(await store.mediaUpload('telegram', '42', sha)).toBeNull();
    await store.saveMediaUpload('telegram', '42', sha, 'file-1');
    expect(await store.mediaUpload('telegram', '42', sha)).toBe('file-1');
    // Another bot, another channel, another file: nothing kept for them.
    expect(await store.mediaUpload('telegram', '43', sha)).toBeNull();
    expect(await store.mediaUpload('whatsapp-cloud', '42', sha)).toBeNull();
    expect(await store.mediaUpload('telegram', '42', 'b'.repeat(64))).toBeNull();
    // A new upload replaces the old id.
    await store.saveMediaUpload('telegram', '42', sha, 'file-2');
    expect(await store.mediaUpload('telegram', '42', sha)).toBe('file-2');
    // Too old for the caller (Cloud API media expire): as if there were none; still kept for others.
    await store.saveMediaUpload('whatsapp-cloud', 'phone-1', sha, 'media-1');
    now += 26 * 86_400_000;
    expect(await store.mediaUpload('whatsapp-cloud', 'phone-1', sha, 25 * 86_400_000)).toBeNull();
    expect(await store.mediaUpload('whatsapp-cloud', 'phone-1', sha)).toBe('media-1');
    // Content, not a user's: forgetting a user and the retention purge leave it.
    await store.turn('u1', () => ({ result: null, writes: [put('es'), { type: 'forget' }] }));
    await store.purge(now);
    expect(await store.mediaUpload('telegram', '42', sha)).toBe('file-2');
    // Refused by the channel: dropped, and the next send uploads again.
    await store.dropMediaUpload('telegram', '42', sha);
    expect(await store.mediaUpload('telegram', '42', sha)).toBeNull();
    expect(await store.mediaUpload('whatsapp-cloud', 'phone-1', sha)).toBe('media-1');
  });

  const subscribe = (topic: string, lang: 'es' | 'en' | 'ht' = 'es', channel = 'telegram'): Write => ({
    type: 'subscribe',
    topic,
    lang,
    channel,
    address: `sealed-${topic}`,
    how: 'command',
  });
  /** A fresh store: these users follow covid in Spanish on Telegram, and a broadcast to them is expanded. */
  const expandedBroadcast = async (keys: string[]) => {
    await fresh();
    for (const k of keys)
      await store.turn(k, () => ({ result: null, writes: [put('es'), subscribe('covid')] }));
    const b = store.broadcasts;
    const id = await b.create('covid', { es: 'Hola' }, ['en', 'ht']);
    await b.queue(id);
    await b.expand(['telegram']);
    return { b, id };
  };

  it('keeps subscriptions with their consent, loads them in the turn, and forgets them with the user', async () => {
    await fresh();
    now = T0 + 5 * MINUTE;
    await store.turn('s1', () => ({
      result: null,
      writes: [put('es'), subscribe('covid'), subscribe('labour')],
    }));
    // A yes given twice keeps the first consent.
    now = T0 + 3 * HOUR;
    const loaded = await store.turn('s1', (l) => ({
      result: l.subscribed,
      writes: [subscribe('covid', 'en')],
    }));
    expect(loaded).toEqual(['covid', 'labour']);
    expect(await store.subscriptions.consentsOf('s1')).toEqual([
      { topic: 'covid', lang: 'es', channel: 'telegram', at: T0 - (T0 % HOUR), how: 'command' },
      { topic: 'labour', lang: 'es', channel: 'telegram', at: T0 - (T0 % HOUR), how: 'command' },
    ]);
    await store.turn('s1', () => ({
      result: null,
      writes: [
        { type: 'unsubscribe', topic: 'labour' },
        { type: 'subscriptions.lang', lang: 'ht' },
      ],
    }));
    expect(await store.subscriptions.topicsOf('s1')).toEqual(['covid']);
    await store.subscriptions.add('s2', {
      topic: 'covid',
      lang: 'en',
      channel: 'whatsapp',
      address: 'x',
      how: 'offer',
    });
    expect(await store.subscriptions.audience('covid')).toEqual([
      { topic: 'covid', channel: 'telegram', lang: 'ht', count: 1 },
      { topic: 'covid', channel: 'whatsapp', lang: 'en', count: 1 },
    ]);
    // A turn that fails stores no consent.
    await expect(
      store.turn('s3', () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await store.turn('s1', () => ({ result: null, writes: [{ type: 'forget' }] }));
    await store.forget('s2');
    expect(await store.subscriptions.topicsOf('s1')).toEqual([]);
    expect(await store.subscriptions.audience()).toEqual([]);
    expect(await store.turn('s1', (l) => ({ result: l.subscribed, writes: [] }))).toEqual([]);
  });

  /** A pace that lets everything due move at once, no more than `limit` a move. */
  const eager = (limit = 100): MovePlan => ({
    channel: 'telegram',
    now,
    gapMs: 1,
    maxLateMs: HOUR,
    ahead: 100,
    limit,
  });
  const one = () => [new Uint8Array([1])];
  /** The broadcast messages waiting in the outbox, in the order of their deliveries. */
  const waiting = async () =>
    (await rowsOf(
      store,
      'SELECT id, user_key, delivery_id FROM outbox WHERE state = 0 AND delivery_id IS NOT NULL ORDER BY delivery_id, id',
    )) as Array<{ id: number; user_key: string; delivery_id: number }>;

  it('expands a broadcast once, moves each delivery once, settles it by its outbox row, counts replies, finishes', async () => {
    await fresh();
    for (const k of ['a', 'b', 'c', 'd'])
      await store.turn(k, () => ({ result: null, writes: [put('es'), subscribe('covid')] }));
    await store.turn('w', () => ({
      result: null,
      writes: [put('es'), subscribe('covid', 'es', 'whatsapp')],
    }));
    const b = store.broadcasts;
    const id = await b.create('covid', { es: 'Hola', en: 'Hi' }, ['ht']);
    expect(await b.get(id)).toMatchObject({ id, topic: 'covid', status: 'draft', missing: ['ht'] });
    expect(await b.expand(['telegram'])).toEqual([]);
    expect(await b.queue(id)).toBe(true);
    expect(await b.queue(id)).toBe(false);
    // Two instances expand at once: one delivery per subscriber all the same.
    const started = await Promise.all([b.expand(['telegram']), b.expand(['telegram'])]);
    expect(started.flat()).toEqual([id]);
    expect(await b.figures(id)).toEqual({ queued: 4, sent: 0, failed: 0, blocked: 0, replies: 0 });
    // The first delivery starts the channel's schedule; then two instances move at once, and
    // nobody is moved twice. The first two deliveries are two messages each.
    const rendered: Delivery[] = [];
    const render = (d: Delivery) => {
      rendered.push(d);
      return rendered.length <= 2 ? [...one(), ...one()] : one();
    };
    expect((await b.move(eager(), render)).keys).toHaveLength(1);
    now += 1000;
    const [m1, m2] = await Promise.all([b.move(eager(2), render), b.move(eager(2), render)]);
    expect(m1.keys.length + m2.keys.length).toBe(3);
    expect(await b.move(eager(), render)).toMatchObject({ keys: [], empty: true });
    expect(new Set(rendered.map((d) => Number(d.id))).size).toBe(4);
    expect(new Set(rendered.map((d) => d.userKey))).toEqual(new Set(['a', 'b', 'c', 'd']));
    expect(rendered.every((d) => d.address === 'sealed-covid' && d.lang === 'es')).toBe(true);
    const rows = await waiting();
    const [A, B, C, D] = rendered.map((d) => rows.filter((r) => Number(r.delivery_id) === Number(d.id)));
    expect([A, B, C, D].map((r) => r!.length)).toEqual([2, 2, 1, 1]);
    // Moved is not sent: every delivery is queued until its outbox rows end.
    expect(await b.figures(id)).toMatchObject({ queued: 4, sent: 0 });
    // A delivery of two messages is sent with the second of them.
    await store.outbox.markSent(Number(A![0]!.id), A![0]!.user_key, ['1']);
    expect(await b.figures(id)).toMatchObject({ queued: 4, sent: 0 });
    await store.outbox.markSent(Number(A![1]!.id), A![1]!.user_key, ['2']);
    expect(await b.figures(id)).toMatchObject({ queued: 3, sent: 1 });
    // A row that ended settles nothing more: the first outcome stands.
    await store.outbox.markFailed(Number(A![1]!.id), 'rejected');
    await store.outbox.markFailed(Number(B![0]!.id), 'retries');
    await store.outbox.markSent(Number(B![1]!.id), B![1]!.user_key, []);
    await store.outbox.markFailed(Number(C![0]!.id), 'blocked');
    expect(await b.figures(id)).toEqual({ queued: 1, sent: 1, failed: 1, blocked: 1, replies: 0 });
    expect(await b.finish(now)).toEqual([]);
    expect((await b.get(id))?.status).toBe('sending');
    await store.outbox.markSent(Number(D![0]!.id), D![0]!.user_key, ['3'], 'ref-3');
    expect(await b.finish(now)).toEqual([id]);
    expect((await b.get(id))?.status).toBe('done');
    // Whoever got it and writes within 24 hours counts a reply, once.
    const replier = A![0]!.user_key;
    for (let i = 0; i < 2; i++)
      await store.turn(replier, () => ({ result: null, writes: [{ type: 'broadcast.reply' }] }));
    expect(await b.figures(id)).toEqual({ queued: 0, sent: 2, failed: 1, blocked: 1, replies: 1 });
    const report = await b.report();
    expect(report.broadcasts).toEqual([
      expect.objectContaining({
        id,
        topic: 'covid',
        status: 'done',
        sent: 2,
        failed: 1,
        blocked: 1,
        replies: 1,
      }),
    ]);
    expect(report.subscribers).toEqual([{ topic: 'covid', lang: 'es', count: 5 }]);
    expect((await b.list()).map((x) => x.id)).toEqual([id]);
    expect(await b.cancel(id)).toBe(false);
  });

  it('a delivery an earlier version claimed is moved once its claims are given back', async () => {
    const { b, id } = await expandedBroadcast(['a', 'b', 'c']);
    // As the claims of the earlier design left them: one per owner, each for an hour.
    const claim = (key: string, owner: string) =>
      rowsOf(
        store,
        `UPDATE broadcast_deliveries SET claimed_until = ${now + HOUR}, claimed_by = '${owner}'
         WHERE user_key = '${key}' RETURNING id`,
      );
    await claim('a', 'old-1');
    await claim('b', 'old-2');
    const moved = async () => {
      now += 1000;
      return b.move(eager(), one);
    };
    expect((await moved()).keys).toEqual(['c']);
    expect(await moved()).toMatchObject({ keys: [], empty: true });
    await b.release('old-2');
    expect((await moved()).keys).toEqual(['b']);
    expect(await moved()).toMatchObject({ keys: [], empty: true });
    await b.release(null);
    expect((await moved()).keys).toEqual(['a']);
    const rows = await rowsOf(store, 'SELECT claimed_by FROM broadcast_deliveries');
    expect(rows.every((r) => r.claimed_by === '')).toBe(true);
    expect((await waiting()).map((r) => r.user_key).sort()).toEqual(['a', 'b', 'c']);
    expect(await b.figures(id)).toMatchObject({ queued: 3, sent: 0 });
  });

  it('a forgotten user leaves no key or address in the deliveries, and gets nothing more', async () => {
    const { b, id } = await expandedBroadcast(['a', 'b']);
    // One is moved and sent; the other still waits to move when both are forgotten.
    expect((await b.move(eager(), one)).keys).toHaveLength(1);
    const [first] = await waiting();
    await store.outbox.markSent(Number(first!.id), first!.user_key, []);
    await store.turn(first!.user_key, () => ({ result: null, writes: [{ type: 'forget' }] }));
    const other = first!.user_key === 'a' ? 'b' : 'a';
    await store.forget(other);
    now += 1000;
    expect(await b.move(eager(), one)).toMatchObject({ keys: [], empty: true });
    expect(await rowsOf(store, 'SELECT id FROM outbox')).toEqual([]);
    expect(await b.figures(id)).toMatchObject({ queued: 0, sent: 1 });
    expect(await b.finish(now)).toEqual([id]);
    const rows = await rowsOf(store, `SELECT user_key, address FROM broadcast_deliveries`);
    expect(rows.every((r) => !['a', 'b'].includes(String(r.user_key)) && r.address === '')).toBe(true);
    // Cancelling a broadcast: what was not sent is never sent.
    await store.turn('c', () => ({ result: null, writes: [put('es'), subscribe('covid')] }));
    const next = await b.create('covid', { es: 'Otra' }, ['en', 'ht']);
    await b.queue(next);
    await b.expand(['telegram']);
    expect(await b.cancel(next)).toBe(true);
    expect(await b.move(eager(), one)).toMatchObject({ keys: [], empty: true });
    expect(await rowsOf(store, 'SELECT id FROM outbox')).toEqual([]);
    expect(await b.figures(next)).toMatchObject({ queued: 0, sent: 0 });
  });

  it('moves deliveries into the outbox at the pace, each once, and the outbox settles them', async () => {
    const { b, id } = await expandedBroadcast(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    const plan = { channel: 'telegram', now, gapMs: 100, maxLateMs: 1000, ahead: 3, limit: 10 };
    const seen: string[] = [];
    const body = (d: { userKey: string; address: string }) => {
      seen.push(d.address);
      return [new Uint8Array([1, 2, 3])];
    };
    const outbox = () =>
      rowsOf(store, 'SELECT id, user_key, priority, delivery_id FROM outbox WHERE state = 0 ORDER BY id');
    // Two instances at once: the first message goes now, the next one a gap later, whoever moves it.
    const [m1, m2] = await Promise.all([b.move(plan, body), b.move(plan, body)]);
    expect(m1.keys.length + m2.keys.length).toBe(1);
    expect(seen).toEqual(['sealed-covid']);
    expect(await b.move({ ...plan, now: now + 50 }, body)).toEqual({ keys: [], waitMs: 50, empty: false });
    const m3 = await b.move({ ...plan, now: now + 250 }, body);
    expect(m3.keys).toHaveLength(2);
    // No more than `ahead` wait in the outbox, however late the schedule is.
    expect((await b.move({ ...plan, now: now + 900 }, body)).keys).toEqual([]);
    const rows = await outbox();
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => Number(r.priority) === 2)).toBe(true);
    expect(new Set(rows.map((r) => Number(r.delivery_id))).size).toBe(3);
    expect(await b.figures(id)).toMatchObject({ queued: 7, sent: 0 });
    // The outbox's outcome is the delivery's: sent, given up on, blocked.
    const [r1, r2, r3] = rows as Array<{ id: number; user_key: string }>;
    await store.outbox.markSent(Number(r1!.id), r1!.user_key, ['77']);
    await store.outbox.markFailed(Number(r2!.id), 'rejected');
    await store.outbox.deleteUser(r3!.user_key);
    expect(await b.figures(id)).toEqual({ queued: 4, sent: 1, failed: 1, blocked: 1, replies: 0 });
    // A delivery whose address cannot be opened fails; the others move.
    let first = true;
    const m4 = await b.move({ ...plan, now: now + 1000 }, (d) => {
      if (first) {
        first = false;
        return null;
      }
      return body(d);
    });
    expect(m4.keys).toHaveLength(2);
    expect(await b.figures(id)).toMatchObject({ queued: 3, failed: 2 });
    // "stop" takes the user's waiting message with them.
    const [w1, w2] = (await outbox()) as Array<{ id: number; user_key: string }>;
    await store.turn(w1!.user_key, () => ({ result: null, writes: [{ type: 'forget' }] }));
    expect((await outbox()).map((r) => r.user_key)).toEqual([w2!.user_key]);
    expect(await b.figures(id)).toMatchObject({ queued: 2 });
    await store.outbox.markSent(Number(w2!.id), w2!.user_key, []);
    // Retention takes a message that waited too long: its delivery failed.
    expect((await b.move({ ...plan, now: now + 2000 }, body)).keys).toHaveLength(1);
    now += HOUR;
    await store.purge(now);
    expect(await outbox()).toEqual([]);
    expect(await b.figures(id)).toEqual({ queued: 0, sent: 2, failed: 3, blocked: 1, replies: 0 });
    expect(await b.move({ ...plan, now }, body)).toMatchObject({ keys: [], empty: true });
    expect(await b.finish(now)).toEqual([id]);
  });

  it('a cancel takes back the broadcast messages waiting in the outbox', async () => {
    const { b, id } = await expandedBroadcast(['a', 'b', 'c']);
    const plan = { channel: 'telegram', now, gapMs: 10, maxLateMs: 1000, ahead: 10, limit: 10 };
    const one = () => [new Uint8Array([1])];
    expect((await b.move(plan, one)).keys).toHaveLength(1);
    expect((await b.move({ ...plan, now: now + 10 }, one)).keys).toHaveLength(1);
    // A reply of the same user waits too, and stays.
    await store.turn('a', () => ({
      result: null,
      writes: [{ type: 'outbox', channel: 'telegram', priority: 0, body: new Uint8Array([9]) }],
    }));
    expect(await b.cancel(id)).toBe(true);
    const left = await rowsOf(store, 'SELECT user_key, priority FROM outbox WHERE state = 0');
    expect(left.map((r) => [r.user_key, Number(r.priority)])).toEqual([['a', 0]]);
    expect(await b.figures(id)).toEqual({ queued: 0, sent: 0, failed: 0, blocked: 0, replies: 0 });
    expect(await b.move({ ...plan, now: now + 1000 }, one)).toMatchObject({
      keys: [],
      empty: true,
    });
  });

  it('retention unlinks settled deliveries older than the cutoff and keeps the figures', async () => {
    const { b, id } = await expandedBroadcast(['a', 'b']);
    expect((await b.move(eager(), one)).keys).toHaveLength(1);
    const [first] = await waiting();
    await store.outbox.markSent(Number(first!.id), first!.user_key, []);
    await store.purge(now + 1);
    const rows = await rowsOf(store, `SELECT user_key, state FROM broadcast_deliveries ORDER BY id`);
    // The settled row points at nobody; the one still queued keeps its user, to be sent.
    expect(rows.find((r) => r.state === 'sent')?.user_key).toMatch(/^gone:/);
    expect(rows.find((r) => r.state === 'queued')?.user_key).toMatch(/^[ab]$/);
    expect(await b.figures(id)).toMatchObject({ queued: 1, sent: 1 });
    now += 1000;
    expect((await b.move(eager(), one)).keys).toHaveLength(1);
  });

  it('holds outbox messages until the user writes, keeps a sent message by the hash of its id until its report', async () => {
    await fresh();
    const body = (n: number) => new Uint8Array([n, 1, 2, 3]);
    const queue = (n: number): Write => ({
      type: 'outbox',
      channel: 'whatsapp-cloud',
      priority: 0,
      body: body(n),
    });
    await store.turn('w1', () => ({ result: null, writes: [put('ht'), queue(1), queue(2)] }));
    const [first] = await store.outbox.claim('whatsapp-cloud', now, 10, new Set());
    expect(first?.body).toEqual(body(1));
    await store.outbox.hold(first!.id, 'window');
    // The chat's next message is handed out; the held one keeps its place for later.
    const second = await store.outbox.head('whatsapp-cloud', 'w1', now);
    expect(second?.body).toEqual(body(2));
    await store.outbox.hold(second!.id, 'reengagement');
    expect(await store.outbox.claim('whatsapp-cloud', now, 10, new Set())).toEqual([]);
    expect(await store.outbox.heldCounts()).toEqual([
      { reason: 'reengagement', count: 1 },
      { reason: 'window', count: 1 },
    ]);
    expect(await store.outbox.heldCounts('telegram')).toEqual([]);
    // Held messages are not a backlog that turns the health red.
    expect((await store.outbox.stats(now)).backlog).toBe(0);

    // The user writes: they go again, first, in order.
    now += MINUTE;
    await store.turn('w1', () => ({
      result: null,
      writes: [put('ht'), { type: 'outbox.release' }, queue(3)],
    }));
    expect(await store.outbox.heldCounts()).toEqual([]);
    const again = await store.outbox.head('whatsapp-cloud', 'w1', now);
    expect(again?.body).toEqual(body(1));

    // Sent with a platform id: kept by its hash alone, without text, address or user key.
    await store.outbox.markSent(again!.id, 'w1', [], 'hash-of-wamid-1');
    const kept = await rowsOf(store, `SELECT * FROM outbox WHERE ref = 'hash-of-wamid-1'`);
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ user_key: '', ref: 'hash-of-wamid-1' });
    expect(Buffer.from(kept[0]!.body as Uint8Array).length).toBe(0);
    expect(await store.outbox.status('whatsapp-cloud', 'hash-of-wamid-1', 'delivered')).toBe(true);
    expect(await rowsOf(store, `SELECT id FROM outbox WHERE ref = 'hash-of-wamid-1'`)).toEqual([]);
    expect(await store.outbox.status('whatsapp-cloud', 'hash-of-wamid-1', 'read')).toBe(false);

    const next = await store.outbox.head('whatsapp-cloud', 'w1', now);
    await store.outbox.markSent(next!.id, 'w1', [], 'hash-of-wamid-2');
    // Another channel's report does not touch it; a failed report marks it failed with the code.
    expect(await store.outbox.status('telegram', 'hash-of-wamid-2', 'failed', 'status:131026')).toBe(false);
    expect(await store.outbox.status('whatsapp-cloud', 'hash-of-wamid-2', 'failed', 'status:131026')).toBe(
      true,
    );
    expect(await rowsOf(store, `SELECT state, reason, ref FROM outbox WHERE id = ${next!.id}`)).toEqual([
      { state: 2, reason: 'status:131026', ref: null },
    ]);
    // Sent rows waiting for a report, and failed rows, go at the purge.
    const last = await store.outbox.head('whatsapp-cloud', 'w1', now);
    await store.outbox.markSent(last!.id, 'w1', [], 'hash-of-wamid-3');
    now += HOUR;
    expect(await store.outbox.purge(now)).toBe(2);
    expect(await rowsOf(store, 'SELECT id FROM outbox')).toEqual([]);
  });

  it('a forget deletes held messages with the pending ones; retention takes them too', async () => {
    await fresh();
    const queue: Write = {
      type: 'outbox',
      channel: 'whatsapp-cloud',
      priority: 1,
      body: new Uint8Array([9]),
    };
    await store.turn('w2', () => ({ result: null, writes: [put('es'), queue, queue] }));
    const [row] = await store.outbox.claim('whatsapp-cloud', now, 10, new Set());
    await store.outbox.hold(row!.id, 'window');
    await store.turn('w2', () => ({ result: null, writes: [{ type: 'forget' }] }));
    expect(await rowsOf(store, 'SELECT id FROM outbox')).toEqual([]);

    await store.turn('w3', () => ({ result: null, writes: [put('es'), queue] }));
    const [held] = await store.outbox.claim('whatsapp-cloud', now, 10, new Set());
    await store.outbox.hold(held!.id, 'reengagement');
    await store.outbox.deleteUser('w3');
    expect(await rowsOf(store, 'SELECT id FROM outbox')).toEqual([]);

    await store.turn('w4', () => ({ result: null, writes: [put('es'), queue] }));
    const [old] = await store.outbox.claim('whatsapp-cloud', now, 10, new Set());
    await store.outbox.hold(old!.id, 'window');
    now += 400 * 24 * HOUR;
    await store.purge(now - 24 * HOUR);
    expect(await rowsOf(store, 'SELECT id FROM outbox')).toEqual([]);
  });

  it('keeps the last good content and the meta values', async () => {
    await fresh();
    expect(await store.latestContent()).toBeNull();
    expect(await store.saveContent('v1', { 'flows/a.yaml': 'a' })).toBe(true);
    expect(await store.saveContent('v1', { 'flows/a.yaml': 'a' })).toBe(false);
    now += 1000;
    await store.saveContent('v2', { 'flows/a.yaml': 'b' });
    expect(await store.latestContent()).toMatchObject({ version: 'v2', files: { 'flows/a.yaml': 'b' } });
    await store.setMeta('m', '1');
    expect(await store.getMeta('m')).toBe('1');
    await store.deleteMeta('m');
    expect(await store.getMeta('m')).toBeUndefined();
  });

  // The PostgreSQL cases share one schema, so a copy from PostgreSQL goes to SQLite only.
  it.each(ENGINES.filter((t) => t.name === 'sqlite' || engine.name === 'sqlite'))(
    'copies every row to $name with sessions intact',
    async (target) => {
      await fresh();
      await store.turn('c1', () => ({
        result: null,
        writes: [
          put('ht', ['x']),
          { type: 'recent.append', ids: ['5'] },
          { type: 'feedback', faq: 'a.b', lang: 'ht', helpful: false },
          openHandoff('h9'),
        ],
      }));
      await store.setHandoffThread('h9', '42');
      await store.saveContent('v9', { 'data/x.yaml': 'x' });
      await store.saveMediaUpload('telegram', '42', 'c'.repeat(64), 'file-9');
      await store.turn('c1', () => ({
        result: null,
        writes: [subscribe('covid', 'ht'), subscribe('papers', 'ht')],
      }));
      const id = await store.broadcasts.create('covid', { es: 'Hola', ht: 'Bonjou' }, ['en']);
      await store.broadcasts.queue(id);
      await store.broadcasts.expand(['telegram']);
      expect((await store.broadcasts.move(eager(), () => [new Uint8Array([7])])).keys).toEqual(['c1']);
      const [d] = await waiting();
      await store.outbox.markSent(Number(d!.id), 'c1', []);
      // Nothing more of it: the channel's schedule starts again with the next broadcast.
      expect(await store.broadcasts.move({ ...eager(), now: now + 1 }, one)).toMatchObject({
        keys: [],
        empty: true,
      });
      await store.turn('c1', () => ({ result: null, writes: [{ type: 'broadcast.reply' }] }));
      // A reply not sent yet, sealed as the turn wrote it.
      const body = new Uint8Array([1, 2, 3, 250]);
      await store.turn('c1', () => ({
        result: null,
        writes: [{ type: 'outbox', channel: 'telegram', priority: 0, body }],
      }));
      // And one held until its person writes again.
      await store.turn('c2', () => ({
        result: null,
        writes: [{ type: 'outbox', channel: 'telegram', priority: 0, body }],
      }));
      const heads = await store.outbox.claim('telegram', now, 10, new Set());
      await store.outbox.hold(heads.find((h) => h.userKey === 'c2')!.id, 'window');
      // A broadcast message already in the outbox, behind c1's reply: it carries its delivery.
      const second = await store.broadcasts.create('papers', { es: 'Papeles', ht: 'Papye' }, ['en']);
      await store.broadcasts.queue(second);
      await store.broadcasts.expand(['telegram']);
      const plan = { channel: 'telegram', now, gapMs: 1, maxLateMs: 1000, ahead: 10, limit: 10 };
      expect((await store.broadcasts.move(plan, () => [body])).keys).toEqual(['c1']);
      const to = await target.open(() => now);
      try {
        const copied = await to.load(store.dump());
        expect(copied).toMatchObject({
          sessions: 1,
          feedback: 1,
          contentSnapshots: 1,
          handoffs: 1,
          mediaUploads: 1,
          subscriptions: 2,
          broadcasts: 2,
          broadcastDeliveries: 2,
          outbox: 3,
        });
        // The pending reply goes on from the new store, body intact; the held one stays held.
        const waiting = await to.outbox.claim('telegram', now + 60_000, 10, new Set());
        expect(waiting).toHaveLength(1);
        expect(waiting[0]).toMatchObject({ userKey: 'c1', priority: 0, attempts: 0 });
        expect([...waiting[0]!.body]).toEqual([...body]);
        expect(await to.outbox.heldCounts('telegram')).toEqual([{ reason: 'window', count: 1 }]);
        expect(await to.outbox.release('c2', now)).toBe(1);
        // The broadcast message is not moved a second time, and its sending settles its delivery.
        expect((await to.broadcasts.move({ ...plan, now: now + 1000 }, () => [body])).keys).toEqual([]);
        await to.outbox.markSent(waiting[0]!.id, 'c1', []);
        const [next] = await to.outbox.claim('telegram', now + 60_000, 10, new Set(['c2']));
        expect(next).toMatchObject({ userKey: 'c1', priority: 2 });
        await to.outbox.markSent(next!.id, 'c1', []);
        expect(await to.broadcasts.figures(second)).toMatchObject({ queued: 0, sent: 1 });
        // Subscribers and their consent come along, and a broadcast's figures.
        expect(await to.subscriptions.consentsOf('c1')).toEqual(await store.subscriptions.consentsOf('c1'));
        expect(await to.broadcasts.get(id)).toEqual(await store.broadcasts.get(id));
        expect(await to.broadcasts.figures(id)).toEqual({
          queued: 0,
          sent: 1,
          failed: 0,
          blocked: 0,
          replies: 1,
        });
        expect(await to.broadcasts.create('covid', { es: 'Otra' }, [])).toBeGreaterThan(id);
        // An open conversation goes on where it was: staff answer in the same topic.
        expect(await to.handoffByThread('42')).toEqual(await store.handoff('h9'));
        expect(await to.turn('c1', (l) => ({ result: l.handoff()?.id, writes: [] }))).toBe('h9');
        expect(await to.session('c1')).toEqual(await store.session('c1'));
        // The bot's uploads stay valid: the recordings are not uploaded again after the move.
        expect(await to.mediaUpload('telegram', '42', 'c'.repeat(64))).toBe('file-9');
        expect(await to.turn('c1', (l) => ({ result: l.recent(), writes: [] }))).toEqual(['5']);
        expect((await to.report(0)).faq).toEqual([]);
        // A second copy would count the records twice: refused.
        const again: AsyncIterable<Chunk> = store.dump();
        await expect(to.load(again)).rejects.toThrow(/already holds records/);
      } finally {
        await to.close();
      }
    },
  );
});

/** Rows read straight from either engine, to check what is left in a table. */
async function rowsOf(store: Store, sql: string): Promise<Array<Record<string, unknown>>> {
  if (store instanceof SqliteStore) return store.db.prepare(sql).all() as Array<Record<string, unknown>>;
  return (await (store as PostgresStore).pool.query(sql)).rows;
}

describe('the bot speaks the contract', () => {
  it('every turn it runs asks only for writes the contract defines', async () => {
    const h = new Harness();
    const seen = new Set<string>();
    const turn = h.app.store.turn.bind(h.app.store);
    h.app.store.turn = (key, decide) =>
      turn(key, (loaded) => {
        const decision = decide(loaded);
        for (const w of WriteSchema.array().parse(decision.writes)) seen.add(w.type);
        return decision;
      });
    try {
      await h.say('u', 'hola', 'es');
      await h.say('u', 'mi patron no me paga', 'es');
      await h.say('u', '1', 'es');
      await h.say('u', 'quien gano el partido', 'es');
      await h.send('u', { text: 'menu' }, undefined, 'telegram', 'upd-1');
      for (const text of ['suscribirme', '1', 'sí', 'mis suscripciones', '1']) await h.say('u', text, 'es');
      await h.say('u', 'stop', 'es');
      expect([...seen].sort()).toEqual([
        'broadcast.reply',
        'event',
        'feedback',
        'forget',
        'session.put',
        'subscribe',
        'subscriptions.lang',
        'unanswered',
        'unsubscribe',
      ]);
    } finally {
      h.close();
    }
  });

  it('a conversation with a person asks only for writes the contract defines', async () => {
    const h = new Harness({ STAFF_CHAT_ID: '-1001234567890', TELEGRAM_BOT_TOKEN: '1:x', ORG_NAME: 'Red' });
    const seen = new Set<string>();
    const turn = h.app.store.turn.bind(h.app.store);
    h.app.store.turn = (key, decide) =>
      turn(key, (loaded) => {
        const decision = decide(loaded);
        for (const w of WriteSchema.array().parse(decision.writes)) seen.add(w.type);
        return decision;
      });
    try {
      await h.say('u', 'hola', 'es');
      await h.say('u', 'persona', 'es');
      await h.say('u', '2', 'es');
      await h.say('u', 'necesito ayuda', 'es');
      await h.say('u', 'menu', 'es');
      await h.say('u', 'persona', 'es');
      await h.say('u', '1', 'es');
      await h.say('u', 'stop', 'es');
      expect([...seen].filter((t) => t.startsWith('handoff.')).sort()).toEqual([
        'handoff.close',
        'handoff.open',
        'handoff.touch',
      ]);
    } finally {
      h.close();
    }
  });
});
