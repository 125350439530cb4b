import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/env.js';
import { createApp, openApp } from '../src/runtime/app.js';
import { createLogger } from '../src/runtime/log.js';
import { cli } from './support/cli.js';
import { freshSchema } from './support/postgres.js';

describe('cli store copy --to postgres://…', () => {
  const dir = mkdtempSync(join(tmpdir(), 'puente-copy-'));
  const env = { DB_PATH: join(dir, 'bot.db'), SECRET_KEY_FILE: join(dir, 'secret.key'), LOG_LEVEL: 'silent' };
  let drop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves a SQLite deployment to PostgreSQL: conversations go on where they were, the report counts the same', async () => {
    const sqlite = createApp(loadConfig(env, false), createLogger('silent'));
    const users = ['50937000001', '50937000002', '50937000003'];
    for (const u of users) {
      await sqlite.bot.handle({
        channel: 'whatsapp',
        user: u,
        event: { text: 'hola' },
        hint: { lang: 'es', sure: true },
      });
      await sqlite.bot.handle({ channel: 'whatsapp', user: u, event: { text: '1' }, updateId: `${u}-1` });
    }
    await sqlite.bot.handle({
      channel: 'whatsapp',
      user: users[0]!,
      event: { text: 'quien gano el partido' },
    });
    const before = await sqlite.store.report(0);
    const sessions = await Promise.all(
      users.map((u) => sqlite.store.session(sqlite.bot.userKeyOf('whatsapp', u))),
    );
    await sqlite.close();

    const schema = await freshSchema();
    drop = schema.drop;
    const r = cli(['store', 'copy', '--to', schema.url, '--json'], '', env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.lines[0]).toMatchObject({ sessions: 3, unanswered: 1, contentSnapshots: 1 });

    const pg = await openApp(loadConfig({ ...env, DATABASE_URL: schema.url }, false), createLogger('silent'));
    try {
      expect(pg.store.engine).toBe('postgres');
      for (const [i, u] of users.entries())
        expect(await pg.store.session(pg.bot.userKeyOf('whatsapp', u))).toEqual(sessions[i]);
      expect(await pg.store.report(0)).toEqual(before);
      // A redelivery of an update handled before the move is still recognised.
      const again = await pg.bot.handle({
        channel: 'whatsapp',
        user: users[1]!,
        event: { text: '1' },
        updateId: `${users[1]}-1`,
      });
      expect(again.duplicate).toBe(true);
      // The conversation goes on from the menu where it was: "back" returns to the menu before it.
      const copied = sessions[1]!.session;
      expect(copied.at).not.toBeNull();
      expect(copied.history.length).toBeGreaterThan(0);
      const next = await pg.bot.handle({ channel: 'whatsapp', user: users[1]!, event: { text: 'atras' } });
      expect(next.session?.at).toEqual(copied.history.at(-1));
    } finally {
      await pg.close();
    }

    // A second copy would count the records twice: refused, and nothing changes.
    const twice = cli(['store', 'copy', '--to', schema.url], '', env);
    expect(twice.status).toBe(1);
    expect(twice.stderr).toMatch(/already holds records/);
  });

  it('says plainly when there is no database to copy', () => {
    const r = cli(['store', 'copy', '--to', 'postgres://postgres@127.0.0.1:5432/test'], '', {
      ...env,
      DB_PATH: join(dir, 'none.db'),
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no SQLite database at .*none\.db/);
  });
});
