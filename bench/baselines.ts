import Database from 'better-sqlite3';
import { Bot, type Context, type SessionFlavor, type StorageAdapter, session } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';

type Counter = { count: number };
type Ctx = Context & SessionFlavor<Counter>;

const BOT_INFO: UserFromGetMe = {
  id: 1,
  is_bot: true,
  first_name: 'Echo',
  username: 'EchoBot',
  can_join_groups: false,
  can_read_all_group_messages: false,
  supports_inline_queries: false,
  can_connect_to_business: false,
  has_main_web_app: false,
} as UserFromGetMe;

/** `n` text messages from `users` chats, numbered from `first` + 1, in turn. */
export function updates(n: number, users: number, first = 0): Update[] {
  return Array.from({ length: n }, (_, i) => {
    const user = first + (i % users) + 1;
    return {
      update_id: i + 1,
      message: {
        message_id: i + 1,
        date: 0,
        chat: { id: user, type: 'private', first_name: 'u' },
        from: { id: user, is_bot: false, first_name: 'u' },
        text: 'hola',
      },
    } as Update;
  });
}

/** A minimal grammY echo bot; sendMessage is answered locally through an API transformer. */
function echoBot(storage?: StorageAdapter<Counter>): Bot<Ctx> {
  const bot = new Bot<Ctx>('1:bench', { botInfo: BOT_INFO });
  bot.api.config.use(async (prev, method, payload) => {
    if (method === 'sendMessage') {
      return {
        ok: true,
        result: { message_id: 1, date: 0, chat: { id: 1, type: 'private' }, text: 'x' },
      } as never;
    }
    return prev(method, payload);
  });
  bot.use(session({ initial: () => ({ count: 0 }), storage }));
  bot.on('message:text', async (ctx) => {
    ctx.session.count++;
    await ctx.reply(ctx.message.text);
  });
  return bot;
}

async function rate(bot: Bot<Ctx>, list: Update[]): Promise<number> {
  const t = performance.now();
  for (const u of list) await bot.handleUpdate(u);
  return list.length / ((performance.now() - t) / 1000);
}

/** (a) in-memory session. */
export function grammyMemory(list: Update[]): Promise<number> {
  return rate(echoBot(), list);
}

/** (b) the session in SQLite, one committed transaction per update: the floor any persisted bot pays. */
export function grammySqlite(path: string, list: Update[]): Promise<number> {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    'CREATE TABLE IF NOT EXISTS grammy_sessions (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID',
  );
  const get = db.prepare<[string], { value: string }>('SELECT value FROM grammy_sessions WHERE key = ?');
  const put = db.prepare(
    'INSERT INTO grammy_sessions (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  const del = db.prepare('DELETE FROM grammy_sessions WHERE key = ?');
  const storage: StorageAdapter<Counter> = {
    read: (key) => {
      const row = get.get(key);
      return row ? (JSON.parse(row.value) as Counter) : undefined;
    },
    write: (key, value) => {
      put.run(key, JSON.stringify(value));
    },
    delete: (key) => {
      del.run(key);
    },
  };
  return rate(echoBot(storage), list).finally(() => db.close());
}

/** (c) the raw commit rate: one upsert per transaction, nothing else. */
export function sqliteCommits(path: string, n: number, rows: number): number {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS raw (key INTEGER PRIMARY KEY, value TEXT NOT NULL)');
  const put = db.prepare(
    'INSERT INTO raw (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  const t = performance.now();
  // The value changes every time: SQLite skips writing a row that is byte for byte the same.
  for (let i = 0; i < n; i++) put.run(i % rows, `{"count":${i}}`);
  const r = n / ((performance.now() - t) / 1000);
  db.close();
  return r;
}
