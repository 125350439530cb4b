import { afterAll, describe, expect, it } from 'vitest';
import { health } from '../src/http/health.js';
import type { App } from '../src/runtime/app.js';
import type { PostgresStore } from '../src/store/postgres/store.js';
import type { SqliteStore } from '../src/store/sqlite/store.js';
import { Harness } from './support/harness.js';
import { PgHarness } from './support/pg-harness.js';

/** /health and a store fault, the same on either engine: the app as the channels use it. */
type Rig = { app: App; breakStore: () => Promise<void>; close: () => Promise<void> };

const RIGS: Array<{ engine: string; open: () => Promise<Rig> }> = [
  {
    engine: 'sqlite',
    open: async () => {
      const h = new Harness();
      return {
        app: h.app,
        breakStore: async () => (h.app.store as SqliteStore).closeSync(),
        close: async () => h.close(),
      };
    },
  },
  {
    engine: 'postgres',
    open: async () => {
      const h = await PgHarness.open();
      let broken = false;
      return {
        app: h.app,
        breakStore: async () => {
          broken = true;
          await (h.app.store as PostgresStore).pool.end();
        },
        close: async () => {
          // The pool is ended already; the schema still goes.
          if (broken) (h.app as { close: () => Promise<void> }).close = async () => {};
          await h.close();
        },
      };
    },
  },
];

const deliver = {
  address: '4242',
  render: (messages: readonly unknown[]) => messages.map((_, i) => ({ m: 'send', text: `m${i}` })),
};

describe.each(RIGS)('/health and the outbox: $engine', ({ engine, open }) => {
  const rigs: Rig[] = [];
  afterAll(async () => {
    for (const r of rigs) await r.close();
  });

  it('shows the store, the backlog and its age; a forget takes the pending replies', async () => {
    const rig = await open();
    rigs.push(rig);
    const { app } = rig;
    const reply = await app.bot.handle({
      channel: 'telegram',
      user: '4242',
      event: { text: 'hola' },
      deliver,
    });
    expect(reply.messages.length).toBeGreaterThan(0);
    const before = await health(app, []);
    expect(before).toMatchObject({
      status: 'ok',
      store: { engine, state: 'ok', fault: null },
      outbox: { backlog: reply.messages.length, oldestPendingSeconds: 0 },
    });
    expect(JSON.stringify(before)).not.toContain('4242');
    await app.bot.forgetUser('telegram', '4242');
    expect((await health(app, [])).outbox).toEqual({ backlog: 0, oldestPendingSeconds: null });
  });

  it('a store that cannot commit makes the turn a StoreFault and /health down', async () => {
    const rig = await open();
    rigs.push(rig);
    const { app } = rig;
    await rig.breakStore();
    await expect(
      app.bot.handle({ channel: 'telegram', user: '4343', event: { text: 'hola' }, deliver }),
    ).rejects.toMatchObject({ name: 'StoreFault' });
    const h = await health(app, []);
    expect(h.status).toBe('down');
    expect(h.store).toMatchObject({ engine, state: 'fault' });
    expect(h.store.fault).toBeTruthy();
  });
});
