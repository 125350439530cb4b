import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { newSession } from '../src/engine/types.js';
import { MIGRATIONS as PG_MIGRATIONS, PostgresStore } from '../src/store/postgres/store.js';
import { MIGRATIONS as SQLITE_MIGRATIONS } from '../src/store/sqlite/migrations.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { freshSchema } from './support/postgres.js';

/** The SQLite schema of the current release: its nine migrations. */
const RELEASE_SQLITE_VERSION = 9;

const state = JSON.stringify({ ...newSession('ht'), at: { flow: 'labor', step: 'topics' } });

describe('migrations, run at start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'puente-migrate-'));
  const drops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const drop of drops) await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('SQLite: from an empty file to the latest version', async () => {
    const store = SqliteStore.open(join(dir, 'empty.db'));
    expect(store.db.pragma('user_version', { simple: true })).toBe(SQLITE_MIGRATIONS.length);
    expect(await store.countSessions()).toBe(0);
    await store.close();
  });

  it("SQLite: from the current release's schema, with its rows, sessions intact", async () => {
    const path = join(dir, 'release.db');
    const db = new Database(path);
    for (const [v, sql] of SQLITE_MIGRATIONS.slice(0, RELEASE_SQLITE_VERSION).entries()) {
      db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    }
    db.prepare(
      `INSERT INTO sessions (user_key, channel, state, seen, updated_at, recent, inbound_at)
       VALUES ('k1', 'telegram', ?, 'abc', 60000, '7@1', 60000)`,
    ).run(state);
    db.prepare("INSERT INTO events (at, name, channel) VALUES (0, 'conversation_started', 'telegram')").run();
    db.close();
    const store = SqliteStore.open(path);
    expect(store.db.pragma('user_version', { simple: true })).toBe(SQLITE_MIGRATIONS.length);
    expect(await store.session('k1')).toEqual({
      session: JSON.parse(state),
      seen: ['abc'],
      inboundAt: 60_000,
    });
    expect((await store.report(0)).conversations).toEqual([
      { channel: 'telegram', lang: null, campaign: null, count: 1 },
    ]);
    await store.close();
  });

  it('PostgreSQL: from an empty schema to the latest version, once when two instances start together', async () => {
    const schema = await freshSchema();
    drops.push(schema.drop);
    const [a, b] = await Promise.all([PostgresStore.open(schema.url), PostgresStore.open(schema.url)]);
    const { rows } = await a.pool.query('SELECT version FROM schema_version');
    expect(rows).toEqual([{ version: PG_MIGRATIONS.length }]);
    expect(await b.countSessions()).toBe(0);
    await a.close();
    await b.close();
  });

  it('PostgreSQL: from an older schema, with its rows, sessions intact', async () => {
    const schema = await freshSchema();
    drops.push(schema.drop);
    const c = new pg.Client({ connectionString: schema.url });
    await c.connect();
    await c.query('CREATE TABLE schema_version (version integer NOT NULL)');
    await c.query(PG_MIGRATIONS[0]!);
    await c.query('INSERT INTO schema_version VALUES (1)');
    await c.query(
      `INSERT INTO sessions (user_key, channel, state, seen, updated_at, inbound_at)
       VALUES ('k1', 'telegram', $1, 'abc', 60000, 60000)`,
      [state],
    );
    await c.end();
    const store = await PostgresStore.open(schema.url);
    const { rows } = await store.pool.query('SELECT version FROM schema_version');
    expect(rows).toEqual([{ version: PG_MIGRATIONS.length }]);
    expect(await store.session('k1')).toEqual({
      session: JSON.parse(state),
      seen: ['abc'],
      inboundAt: 60_000,
    });
    await store.close();
  });

  it('PostgreSQL: a schema newer than this version refuses to start, and says why', async () => {
    const schema = await freshSchema();
    drops.push(schema.drop);
    const c = new pg.Client({ connectionString: schema.url });
    await c.connect();
    await c.query('CREATE TABLE schema_version (version integer NOT NULL)');
    await c.query('INSERT INTO schema_version VALUES (999)');
    await c.end();
    await expect(PostgresStore.open(schema.url)).rejects.toThrow(/version 999, newer.*upgrade Puente/);
  });
});
