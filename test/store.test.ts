import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { newSession } from '../src/engine/types.js';
import { createApp } from '../src/runtime/app.js';
import { createLogger } from '../src/runtime/log.js';
import { openDb } from '../src/store/sqlite/db.js';
import { MIGRATIONS } from '../src/store/sqlite/migrations.js';
import { SqliteSessions } from '../src/store/sqlite/sessions.js';
import { Harness } from './support/harness.js';

describe('sessions in SQLite', () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

  it('uses WAL, one file, and migrations recorded in user_version', () => {
    h = new Harness();
    expect(h.app.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(h.app.db.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(1);
  });

  it('handles a redelivered update only once', async () => {
    h = new Harness();
    await h.say('u', 'hola', 'es');
    const first = await h.send('u', { text: '1' }, undefined, 'console', 'upd-1');
    const again = await h.send('u', { text: '1' }, undefined, 'console', 'upd-1');
    expect(first.at(-1)).toMatchObject({ flow: 'labor', step: 'topics' });
    expect(again).toEqual([]);
    const next = await h.send('u', { text: '1' }, undefined, 'console', 'upd-2');
    expect(next.at(-1)).toMatchObject({ faq: 'labor.unpaid-wages' });
  });

  it('rolls a failed turn back whole: the session and the delivery mark stay as they were', async () => {
    h = new Harness();
    await h.say('u', 'hola', 'es');
    h.app.db.exec('ALTER TABLE events RENAME TO events_away');
    await expect(h.send('u', { text: '1' }, undefined, 'console', 'upd-9')).rejects.toThrow();
    h.app.db.exec('ALTER TABLE events_away RENAME TO events');
    const key = h.app.bot.userKeyOf('console', 'u');
    expect(h.app.store.sessions.read(key)?.session.at).toEqual({ flow: 'main', step: 'home' });
    const retried = await h.send('u', { text: '1' }, undefined, 'console', 'upd-9');
    expect(retried.at(-1)).toMatchObject({ flow: 'labor' });
  });

  it("keeps the minute of the user's last message, by the app's clock, never later than now", async () => {
    let now = Date.UTC(2026, 5, 1, 10, 30, 45);
    h = new Harness({}, { now: () => now });
    const bot = h.app.bot;
    expect(await bot.lastInbound('whatsapp-cloud', '50937000001')).toBeNull();
    // Written by the user four minutes before it arrived (a delayed delivery).
    await bot.handle({
      channel: 'whatsapp-cloud',
      user: '50937000001',
      event: { text: 'bonjou' },
      at: now - 4 * 60_000,
    });
    expect(await bot.lastInbound('whatsapp-cloud', '50937000001')).toBe(Date.UTC(2026, 5, 1, 10, 26));
    // A clock ahead of ours counts as now; without a time, now.
    now = Date.UTC(2026, 5, 1, 11, 0, 30);
    await bot.handle({
      channel: 'whatsapp-cloud',
      user: '50937000001',
      event: { text: '1' },
      at: now + 3_600_000,
    });
    // On the hour it moves a minute earlier, so it never equals a record's time.
    expect(await bot.lastInbound('whatsapp-cloud', '50937000001')).toBe(Date.UTC(2026, 5, 1, 10, 59));
    now = Date.UTC(2026, 5, 1, 12, 5, 10);
    await bot.handle({ channel: 'whatsapp-cloud', user: '50937000001', event: { text: '1' } });
    // Read from the file, not from the parsed cache, as another process would.
    h.restart();
    expect(await h.app.bot.lastInbound('whatsapp-cloud', '50937000001')).toBe(Date.UTC(2026, 5, 1, 12, 5));
    // "stop" leaves nothing.
    await h.app.bot.handle({ channel: 'whatsapp-cloud', user: '50937000001', event: { text: 'stop' } });
    expect(await h.app.bot.lastInbound('whatsapp-cloud', '50937000001')).toBeNull();
  });

  it('purges sessions idle longer than the retention setting', async () => {
    h = new Harness();
    let now = Date.UTC(2026, 0, 1);
    const sessions = new SqliteSessions(h.app.db, () => now);
    await h.say('old', 'hola', 'es');
    await h.say('new', 'hola', 'es');
    const oldKey = h.app.bot.userKeyOf('console', 'old');
    const newKey = h.app.bot.userKeyOf('console', 'new');
    sessions.write(oldKey, 'console', sessions.read(oldKey)!);
    now += 40 * 86_400_000;
    sessions.write(newKey, 'console', sessions.read(newKey)!);
    expect(sessions.purgeIdle(30)).toBe(1);
    expect(sessions.read(oldKey)).toBeNull();
    expect(sessions.read(newKey)).not.toBeNull();
    expect(sessions.purgeIdle(0)).toBe(0);
  });

  it('sees what another process changed: a session deleted elsewhere starts over', async () => {
    h = new Harness();
    await h.say('u', 'hola', 'es');
    expect((await h.say('u', '1')).at(-1)).toMatchObject({ flow: 'labor' });
    const other = openDb(join(h.dir, 'puente.db'));
    other.exec('DELETE FROM sessions');
    other.close();
    const key = h.app.bot.userKeyOf('console', 'u');
    expect(h.app.store.sessions.read(key)).toBeNull();
    // A new user whose language is unknown is asked for it, not taken back into the labor flow.
    expect((await h.say('u', '1')).at(-1)).not.toMatchObject({ flow: 'labor' });
  });

  it('writes a session again that another process deleted after it was read', async () => {
    h = new Harness();
    await h.say('u', 'hola', 'es');
    const key = h.app.bot.userKeyOf('console', 'u');
    const stored = h.app.store.sessions.read(key)!;
    const other = openDb(join(h.dir, 'puente.db'));
    other.exec('DELETE FROM sessions');
    other.close();
    h.app.store.sessions.write(key, 'console', stored);
    expect(h.app.db.prepare('SELECT count(*) AS n FROM sessions').get()).toEqual({ n: 1 });
  });

  it('moves sessions from an older file into the rowid table, keys and state intact', () => {
    h = new Harness();
    const path = join(h.dir, 'old.db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    for (const [v, sql] of MIGRATIONS.slice(0, 3).entries()) {
      db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    }
    const state = JSON.stringify({ ...newSession('ht'), at: { flow: 'labor', step: 'topics' } });
    db.prepare(
      'INSERT INTO sessions (user_key, channel, state, seen, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    ).run('k1', 'telegram', state, 'abc', 1, 2);
    db.close();
    const migrated = openDb(path);
    const stored = new SqliteSessions(migrated).read('k1');
    expect(migrated.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    migrated.close();
    expect(stored).toEqual({
      session: { ...newSession('ht'), at: { flow: 'labor', step: 'topics' } },
      seen: ['abc'],
      // The last turn's minute (2 ms, moved off the hour by the privacy migration) is the last message's.
      inboundAt: 60_000,
    });
  });

  it('keys users by a salted hash: another salt gives another key', () => {
    h = new Harness({ USER_KEY_SALT: 'a-long-enough-salt-1' });
    const a = h.app.bot.userKeyOf('whatsapp', '50937000000');
    const h2 = new Harness({ USER_KEY_SALT: 'a-long-enough-salt-2' });
    const b = h2.app.bot.userKeyOf('whatsapp', '50937000000');
    h2.close();
    expect(a).not.toBe(b);
    expect(a).not.toContain('50937000000');
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('never writes message text or user ids to the log', async () => {
    const chunks: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        chunks.push(String(chunk));
        done();
      },
    });
    h = new Harness();
    const app = createApp(h.config(), createLogger('trace', sink));
    await app.bot.handle({
      channel: 'whatsapp',
      user: '50937111111',
      event: { text: 'mi patron no me paga el salario' },
    });
    await app.bot.handle({ channel: 'whatsapp', user: '50937111111', event: { text: 'xyzzy plugh' } });
    app.bot.close();
    const log = chunks.join('');
    expect(log).not.toContain('50937111111');
    expect(log).not.toContain('patron');
    expect(log).not.toContain('xyzzy');
  });
});
