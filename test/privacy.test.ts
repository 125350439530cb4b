import { createHash, createHmac, randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { EnvSchema, loadConfig, ROOT } from '../src/config/env.js';
import { buildReport } from '../src/report/report.js';
import { createApp } from '../src/runtime/app.js';
import { MIGRATIONS } from '../src/store/sqlite/migrations.js';
import { HOUR, MINUTE } from '../src/store/times.js';
import { LANGS } from '../src/text/lang.js';
import { Harness } from './support/harness.js';
import { LogSink } from './support/log-sink.js';

/** A WhatsApp user's id is their phone number. */
const RAW_ID = '50937123456';
const NAME = ['Maria', 'Lopez'];
const PHONE = '5512345678';

/** The database file and its WAL, as raw bytes: what a copy of the folder gives an auditor. */
function fileBytes(db: string): Buffer {
  return Buffer.concat([db, `${db}-wal`].filter(existsSync).map((f) => readFileSync(f)));
}

function found(bytes: Buffer, needles: Array<string | Buffer>): string[] {
  return needles
    .filter((n) => bytes.includes(typeof n === 'string' ? Buffer.from(n, 'utf8') : n))
    .map((n) => (typeof n === 'string' ? n : `<${n.length} bytes>`));
}

describe('privacy: what a copy of the database file holds', () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

  it('after a conversation with a name and a phone number, feedback, an unanswered question and stop, neither the file nor its WAL holds the id, the name, the digits or the session', async () => {
    h = new Harness();
    let update = 0;
    // WhatsApp message ids contain the sender's number; they are hashed before use too.
    const say = async (text: string) =>
      await h!.send(RAW_ID, { text }, undefined, 'whatsapp', `false_${RAW_ID}@c.us_${++update}`);
    await say('hola');
    // A name and a phone number typed at a menu: not understood, so kept for staff, scrubbed.
    expect((await say(`me llamo ${NAME.join(' ')} y mi telefono es ${PHONE}`)).at(-1)?.step).toBe('home');
    // At a question step: kept in the session, scrubbed.
    await say('menu');
    await say('6');
    expect((await say('10')).at(-1)).toMatchObject({ flow: 'emergency', step: 'ask' });
    await say(`Tapachula, soy ${NAME.join(' ')} ${PHONE}`);
    // An answer, with feedback.
    expect((await say('mi patron no me paga')).at(-1)?.faq).toBe('labor.unpaid-wages');
    await say('1');
    // An unanswered question.
    await say('quien gano el partido de futbol ayer');

    const db = h.app.db;
    const key = h.app.bot.userKeyOf('whatsapp', RAW_ID);
    const row = db.prepare('SELECT state, seen FROM sessions WHERE user_key = ?').get(key) as {
      state: string;
      seen: string;
    };
    expect(JSON.parse(row.state).vars.country).toBe('Tapachula, soy [name] #');
    expect(db.prepare('SELECT query FROM unanswered ORDER BY id').pluck().all()).toEqual([
      'me llamo [name] y mi telefono es #',
      'quien gano el partido de futbol ayer',
    ]);
    expect(db.prepare('SELECT count(*) FROM feedback').pluck().get()).toBe(1);
    // Before stop, the session is in the file (or its WAL): the checks below can see it.
    expect(found(fileBytes(h.dbPath), [row.state, key])).toEqual([row.state, key]);

    expect((await say('stop')).at(-1)?.text).toContain('Borramos');
    expect(db.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(0);

    const secret = readFileSync(h.keyFile);
    const forbidden = [
      RAW_ID,
      ...NAME,
      // Stored questions are folded to lower case ("maria" alone is inside "primaria" in the FAQ).
      NAME.join(' ').toLowerCase(),
      NAME[1]!.toLowerCase(),
      PHONE,
      row.state,
      row.state.slice(0, 60),
      '"country":"Tapachula',
      key,
      secret,
      secret.toString('hex'),
      secret.toString('base64'),
    ];
    // While the bot runs, and after it stops.
    expect(found(fileBytes(h.dbPath), forbidden)).toEqual([]);
    h.app.close();
    expect(found(fileBytes(h.dbPath), forbidden)).toEqual([]);

    const copy = new Database(h.dbPath, { readonly: true });
    const meta = copy.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>;
    copy.close();
    for (const m of meta) {
      expect(m.key).not.toMatch(/salt|secret|key/i);
      expect([secret.toString('utf8'), secret.toString('hex'), secret.toString('base64')]).not.toContain(
        m.value,
      );
    }
    expect(statSync(h.keyFile).mode & 0o777).toBe(0o600);
    expect(secret.length).toBe(32);
    h.app = createApp(h.config(), new LogSink('silent').logger);
  });

  it('keeps records that cannot be linked: no user key, the hour only, never a session time', async () => {
    h = new Harness();
    await h.send(RAW_ID, { text: 'hola' }, undefined, 'whatsapp');
    await h.send(RAW_ID, { text: 'mi patron no me paga' }, undefined, 'whatsapp');
    await h.send(RAW_ID, { text: '1' }, undefined, 'whatsapp');
    await h.send(RAW_ID, { text: 'quien gano el partido' }, undefined, 'whatsapp');
    const db = h.app.db;
    for (const table of ['events', 'feedback', 'unanswered']) {
      const columns = db.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all();
      expect(columns, table).not.toContain('user_key');
      const times = db.prepare(`SELECT DISTINCT at FROM ${table}`).pluck().all() as number[];
      expect(times.length, table).toBeGreaterThan(0);
      for (const at of times) expect(at % HOUR, table).toBe(0);
    }
    const columns = db.prepare("SELECT name FROM pragma_table_info('sessions')").pluck().all();
    expect(columns).not.toContain('created_at');
    const updated = db.prepare('SELECT updated_at FROM sessions').pluck().get() as number;
    expect(updated % MINUTE).toBe(0);
    expect(updated % HOUR).not.toBe(0);
  });

  it('a copy of the database and the raw id cannot give the stored key; the secret from the key file does', async () => {
    h = new Harness();
    await h.send(RAW_ID, { text: 'hola' }, undefined, 'whatsapp');
    h.app.close();
    const copyPath = join(h.dir, 'copy.db');
    copyFileSync(h.dbPath, copyPath);
    const copy = new Database(copyPath, { readonly: true });
    const stored = copy.prepare('SELECT user_key FROM sessions').pluck().get() as string;
    // Everything the copy holds is a candidate secret for the attacker.
    const candidates = new Set<string>(['']);
    const tables = copy
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
      .pluck()
      .all() as string[];
    for (const table of tables) {
      for (const r of copy.prepare(`SELECT * FROM "${table}"`).all() as Array<Record<string, unknown>>)
        for (const v of Object.values(r)) if (typeof v === 'string') candidates.add(v);
    }
    copy.close();
    expect(candidates.size).toBeGreaterThan(10);
    // Hash every number near the real one with every candidate, as the attack on the old salt did.
    const attempts = (id: string) => {
      const name = `whatsapp\u0000${id}`;
      const keys = [createHash('sha256').update(name).digest('base64url')];
      for (const c of candidates) keys.push(createHmac('sha256', c).update(name).digest('base64url'));
      return keys;
    };
    for (let n = 50937123400; n < 50937123500; n++) expect(attempts(String(n))).not.toContain(stored);
    const secret = readFileSync(h.keyFile);
    expect(createHmac('sha256', secret).update(`whatsapp\u0000${RAW_ID}`).digest('base64url')).toBe(stored);
    h.app = createApp(h.config(), new LogSink('silent').logger);
  });

  it('takes the secret from USER_KEY_SECRET, or its old name USER_KEY_SALT, and then makes no key file', () => {
    const secret = 'an operator secret of some length';
    h = new Harness({ USER_KEY_SECRET: secret });
    const key = h.app.bot.userKeyOf('telegram', '777');
    expect(key).toBe(createHmac('sha256', secret).update('telegram\u0000777').digest('base64url'));
    expect(existsSync(h.keyFile)).toBe(false);
    const old = new Harness({ USER_KEY_SALT: secret });
    try {
      expect(old.app.bot.userKeyOf('telegram', '777')).toBe(key);
      expect(existsSync(old.keyFile)).toBe(false);
    } finally {
      old.close();
    }
    expect(() => new Harness({ USER_KEY_SECRET: 'short' })).toThrow(/USER_KEY_SECRET/);
  });

  it('keeps the key file across restarts, tightens its mode, and refuses one too short to be a key', () => {
    h = new Harness();
    const key = h.app.bot.userKeyOf('telegram', '777');
    const secret = readFileSync(h.keyFile);
    chmodSync(h.keyFile, 0o644);
    h.restart();
    expect(h.app.bot.userKeyOf('telegram', '777')).toBe(key);
    expect(readFileSync(h.keyFile).equals(secret)).toBe(true);
    expect(statSync(h.keyFile).mode & 0o777).toBe(0o600);
    h.app.close();
    writeFileSync(h.keyFile, 'short');
    expect(() => createApp(h!.config(), new LogSink('silent').logger)).toThrow(/secret\.key.*5 bytes/);
    writeFileSync(h.keyFile, randomBytes(32));
    h.app = createApp(h.config(), new LogSink('silent').logger);
    expect(h.app.bot.userKeyOf('telegram', '777')).not.toBe(key);
  });

  it('resolves SECRET_KEY_FILE from the repository root by default, like DB_PATH', () => {
    const config = loadConfig({}, false);
    expect(config.SECRET_KEY_FILE).toBe(join(ROOT, 'data', 'runtime', 'secret.key'));
    expect(loadConfig({ SECRET_KEY_FILE: 'elsewhere/k.key' }, false).SECRET_KEY_FILE).toBe(
      join(ROOT, 'elsewhere', 'k.key'),
    );
  });
});

describe('privacy: a database from the previous release', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A file as the previous release left it: its four migrations, a salt in meta, a user in a menu. */
  function previousRelease(salt: string): { db: string; key: string; at: number } {
    dir = mkdtempSync(join(tmpdir(), 'puente-migrate-'));
    const path = join(dir, 'puente.db');
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    for (const [v, sql] of MIGRATIONS.slice(0, 4).entries()) {
      db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    }
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('user_key_salt', salt);
    // The previous release keyed users by HMAC(salt, channel + id) and kept exact times.
    const key = createHmac('sha256', salt).update(`whatsapp\u0000${RAW_ID}`).digest('base64url');
    const at = Date.UTC(2026, 9, 5, 14, 0, 0, 123);
    const state = JSON.stringify({
      v: 1,
      lang: 'es',
      at: { flow: 'labor', step: 'topics' },
      pending: null,
      history: [{ flow: 'main', step: 'home' }],
      vars: {},
      campaign: null,
    });
    db.prepare(
      'INSERT INTO sessions (user_key, channel, state, seen, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(key, 'whatsapp', state, '', at - 5 * MINUTE, at);
    db.prepare(
      "INSERT INTO events (at, name, channel, lang) VALUES (?, 'conversation_started', 'whatsapp', 'es')",
    ).run(at - 5 * MINUTE);
    db.prepare("INSERT INTO unanswered (at, lang, query) VALUES (?, 'es', 'quien gano el partido')").run(at);
    db.prepare("INSERT INTO feedback (at, faq, lang, helpful) VALUES (?, 'labor.unpaid-wages', 'es', 1)").run(
      at,
    );
    db.close();
    return { db: path, key, at };
  }

  const open = (path: string, log: LogSink) =>
    createApp(
      loadConfig(
        { DB_PATH: path, SECRET_KEY_FILE: join(dir, 'secret.key'), LOG_LEVEL: 'silent', RETENTION_DAYS: '0' },
        false,
      ),
      log.logger,
    );

  it('moves the salt to the key file, keeps every session and continues the conversation', async () => {
    const salt = randomBytes(32).toString('hex');
    const old = previousRelease(salt);
    const log = new LogSink('info');
    let app = open(old.db, log);
    try {
      expect(app.bot.userKeyOf('whatsapp', RAW_ID)).toBe(old.key);
      const reply = await app.bot.handle({ channel: 'whatsapp', user: RAW_ID, event: { text: '1' } });
      expect(reply.messages.at(-1)?.faq).toBe('labor.unpaid-wages');
      expect(app.db.prepare('SELECT count(*) FROM sessions').pluck().get()).toBe(1);
      expect(app.db.prepare('SELECT count(*) FROM meta WHERE key LIKE ?').pluck().get('%salt%')).toBe(0);
      const keyFile = join(dir, 'secret.key');
      expect(readFileSync(keyFile, 'utf8')).toBe(salt);
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(found(fileBytes(old.db), [salt])).toEqual([]);
      expect(log.lines().map((l) => l.code)).toContain('user_key.salt_moved');
      // Times are rounded: records to the hour, the session to the minute but off the hour.
      for (const table of ['events', 'unanswered', 'feedback'])
        for (const at of app.db.prepare(`SELECT at FROM ${table}`).pluck().all() as number[])
          expect(at % HOUR, table).toBe(0);
      app.close();
      // The next start reads the key file; the conversation goes on.
      app = open(old.db, log);
      const more = await app.bot.handle({ channel: 'whatsapp', user: RAW_ID, event: { text: 'atras' } });
      expect(more.messages.at(-1)).toMatchObject({ flow: 'labor', step: 'topics' });
    } finally {
      app.close();
    }
    const db = new Database(old.db, { readonly: true });
    const columns = db.prepare("SELECT name FROM pragma_table_info('sessions')").pluck().all();
    const updated = db.prepare('SELECT updated_at FROM sessions').pluck().get() as number;
    db.close();
    expect(columns).not.toContain('created_at');
    expect(updated % MINUTE).toBe(0);
    expect(updated % HOUR).not.toBe(0);
  });

  it('rounds a session time that falls on the hour off it, so no record time can equal it', () => {
    const old = previousRelease(randomBytes(32).toString('hex'));
    const app = open(old.db, new LogSink('silent'));
    try {
      const updated = app.db.prepare('SELECT updated_at FROM sessions').pluck().get() as number;
      expect(updated).toBe(old.at - 123 + MINUTE);
      expect(app.db.prepare('SELECT at FROM unanswered').pluck().get()).toBe(old.at - 123);
    } finally {
      app.close();
    }
  });

  it('removes the unused salt when USER_KEY_SECRET is set, and makes no key file', () => {
    const old = previousRelease(randomBytes(32).toString('hex'));
    const log = new LogSink('info');
    const secret = 'the operator secret, set in the environment';
    const app = createApp(
      loadConfig(
        {
          DB_PATH: old.db,
          SECRET_KEY_FILE: join(dir, 'secret.key'),
          USER_KEY_SECRET: secret,
          LOG_LEVEL: 'silent',
        },
        false,
      ),
      log.logger,
    );
    try {
      expect(app.db.prepare('SELECT count(*) FROM meta').pluck().get()).toBe(0);
      expect(existsSync(join(dir, 'secret.key'))).toBe(false);
      expect(log.lines().map((l) => l.code)).toContain('user_key.salt_removed');
      expect(app.bot.userKeyOf('whatsapp', RAW_ID)).toBe(
        createHmac('sha256', secret).update(`whatsapp\u0000${RAW_ID}`).digest('base64url'),
      );
    } finally {
      app.close();
    }
  });

  it('keeps an existing key file over a different salt in the database, warns, and removes the salt', () => {
    const old = previousRelease(randomBytes(32).toString('hex'));
    const mine = randomBytes(32);
    writeFileSync(join(dir, 'secret.key'), mine, { mode: 0o600 });
    const log = new LogSink('info');
    const app = open(old.db, log);
    try {
      expect(readFileSync(join(dir, 'secret.key')).equals(mine)).toBe(true);
      expect(app.db.prepare('SELECT count(*) FROM meta').pluck().get()).toBe(0);
      const warning = log.lines().find((l) => l.code === 'user_key.salt_conflict');
      expect(warning?.level).toBe(40);
      expect(app.bot.userKeyOf('whatsapp', RAW_ID)).not.toBe(old.key);
    } finally {
      app.close();
    }
  });
});

describe('privacy: retention on a timer', () => {
  let h: Harness | undefined;
  afterEach(() => {
    h?.close();
    h = undefined;
    vi.useRealTimers();
  });

  const counts = (db: Harness['app']['db']) =>
    Object.fromEntries(
      ['sessions', 'events', 'feedback', 'unanswered'].map((t) => [
        t,
        db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number,
      ]),
    );

  it('purges old rows from every table at start and every hour, keeps daily counts, and logs only how many', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const t0 = Date.UTC(2026, 2, 1, 10, 17);
    vi.setSystemTime(t0);
    const log = new LogSink('info');
    h = new Harness({ RETENTION_DAYS: '30' }, { log: log.logger });
    // An old conversation: an answer with feedback, an unanswered question.
    await h.say('old-user', 'hola', 'es');
    await h.say('old-user', 'mi patron no me paga', 'es');
    await h.say('old-user', '1', 'es');
    await h.say('old-user', 'quien gano el partido', 'es');
    const old = counts(h.app.db);
    expect(old).toMatchObject({ sessions: 1, feedback: 1, unanswered: 1 });
    expect(old.events).toBeGreaterThanOrEqual(2);
    const since = t0 - 86_400_000;
    const before = buildReport(h.app.db, since);

    // 29 days on, hour by hour: nothing is old enough yet. A new user writes.
    await vi.advanceTimersByTimeAsync(29 * 86_400_000);
    expect(counts(h.app.db)).toEqual(old);
    await h.say('new-user', 'hola', 'es');
    await h.say('new-user', 'como cocino arroz con pollo', 'es');
    const fresh = buildReport(h.app.db, since);

    // Past 30 days, the hourly timer removes the old rows from every table, and only those.
    await vi.advanceTimersByTimeAsync(1 * 86_400_000 + 2 * HOUR);
    const after = counts(h.app.db);
    expect(after).toEqual({ sessions: 1, events: 1, feedback: 0, unanswered: 1 });
    expect(h.app.store.sessions.read(h.app.bot.userKeyOf('console', 'new-user'))).not.toBeNull();
    expect(h.app.store.sessions.read(h.app.bot.userKeyOf('console', 'old-user'))).toBeNull();
    expect(h.app.db.prepare('SELECT query FROM unanswered').pluck().all()).toEqual([
      'como cocino arroz con pollo',
    ]);

    // The report's counts are the same: events and feedback live on as daily counts.
    const report = buildReport(h.app.db, since);
    expect(report.conversations).toEqual(fresh.conversations);
    expect(report.flows).toEqual(before.flows);
    expect(report.faq).toEqual(before.faq);
    expect(report.faq[0]).toMatchObject({ id: 'labor.unpaid-wages', shown: 1, helpful: 1 });

    // Each purge that removed rows logged how many per table, and nothing else.
    const purges = log.lines().filter((l) => l.code === 'retention.purged');
    expect(purges.length).toBeGreaterThanOrEqual(1);
    const total = (table: string) => purges.reduce((sum, l) => sum + (l[table] as number), 0);
    expect(['sessions', 'events', 'feedback', 'unanswered'].map(total)).toEqual([1, old.events, 1, 1]);
    for (const line of purges)
      expect(Object.keys(line).sort()).toEqual(
        ['code', 'days', 'events', 'feedback', 'level', 'msg', 'sessions', 'time', 'unanswered'].sort(),
      );
    expect(log.text).not.toContain(h.app.bot.userKeyOf('console', 'old-user'));
    expect(log.text).not.toContain('partido');

    // Stopped with the app: no timer is left behind.
    h.close();
    h = undefined;
    expect(vi.getTimerCount()).toBe(0);
  });

  it('purges at start, and keeps everything when RETENTION_DAYS is 0', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(Date.UTC(2026, 2, 1, 10, 17));
    h = new Harness({ RETENTION_DAYS: '0' });
    await h.say('u', 'hola', 'es');
    await h.say('u', 'quien gano el partido', 'es');
    await vi.advanceTimersByTimeAsync(400 * 86_400_000);
    expect(counts(h.app.db)).toMatchObject({ sessions: 1, unanswered: 1 });
    h.app.close();
    h.app = createApp({ ...h.config(), RETENTION_DAYS: 30 }, new LogSink('silent').logger);
    expect(counts(h.app.db)).toEqual({ sessions: 0, events: 0, feedback: 0, unanswered: 0 });
  });
});

describe('privacy: the words match the code', () => {
  const h = new Harness();
  afterAll(() => h.close());
  const { faq, ctx } = h.app.bot.current;
  const days = String(EnvSchema.parse({}).RETENTION_DAYS);

  it.each(LANGS)('help.about (%s) names the channels, the retention period, stop and the warning', (lang) => {
    const answer = faq.get('help.about')![lang]!.answer;
    for (const word of ['WhatsApp', 'Telegram', days, 'stop']) expect(answer).toContain(word);
    // "never type names or numbers" in the user's language.
    expect(answer).toMatch(
      { es: /No escribas nombres, números/, en: /Do not type names, numbers/, ht: /Pa ekri non, nimewo/ }[
        lang
      ],
    );
  });

  it.each(LANGS)('the stop reply (%s) says what is deleted and that the chat stays on the phone', (lang) => {
    const text = ctx.t(lang, 'common', 'stop.done');
    expect(text).toMatch(
      { es: /Borramos .*idioma/, en: /We deleted .*language/, ht: /Nou efase .*lang/ }[lang],
    );
    expect(text).toMatch({ es: /teléfono/, en: /phone/, ht: /telefòn/ }[lang]);
  });
});
