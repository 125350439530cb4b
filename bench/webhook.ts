import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Bot, type Context, type SessionFlavor, session, webhookCallback } from 'grammy';
import type { Update } from 'grammy/types';
import { startTelegram } from '../src/channels/telegram/run.js';
import { loadConfig } from '../src/config/env.js';
import { startHttpServer } from '../src/http/server.js';
import { createApp } from '../src/runtime/app.js';
import { createLogger } from '../src/runtime/log.js';
import { LANGS } from '../src/text/lang.js';
import { mixedScript } from './scripts.js';

const TOKEN = '1:bench';
const SECRET = 'bench-secret';

/** A Bot API that answers at once over real HTTP, and counts the messages sent. */
async function botApi(): Promise<{ root: string; sent: () => number; close: () => Promise<void> }> {
  let sent = 0;
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const server: Server = createServer((req, res) => {
    void read(req).then(() => {
      const method = /\/(\w+)$/.exec(req.url ?? '')?.[1];
      let result: unknown = true;
      if (method === 'getMe') result = { id: 1, is_bot: true, first_name: 'Bench', username: 'BenchBot' };
      if (method === 'sendMessage') {
        sent++;
        result = { message_id: sent, date: 0, chat: { id: 1, type: 'private' }, text: 'x' };
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, result }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    root: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent: () => sent,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Posts the updates to a webhook, `parallel` at a time, as Telegram does for many chats. */
async function post(url: string, list: Update[], parallel = 16): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const u = list[next++]!;
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
        body: JSON.stringify(u),
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 2));
}

/** Puente: HTTP in, the turn (outbox rows in its transaction), the outbox sending to the Bot API. */
export async function puenteWebhook(dir: string, list: Update[]): Promise<number> {
  const api = await botApi();
  const app = createApp(
    loadConfig(
      {
        DB_PATH: join(dir, `webhook-${Date.now()}.db`),
        SECRET_KEY_FILE: join(dir, 'secret.key'),
        LOG_LEVEL: 'silent',
        TELEGRAM_BOT_TOKEN: TOKEN,
        TELEGRAM_API_ROOT: api.root,
        TELEGRAM_WEBHOOK_URL: 'https://bench.example.org/telegram',
        TELEGRAM_WEBHOOK_SECRET: SECRET,
        // The throughput of the path, not Telegram's limits.
        OUTBOX_TELEGRAM_PER_S: '10000',
        OUTBOX_PER_CHAT_PER_S: '10000',
      },
      false,
    ),
    createLogger('silent'),
  );
  const channel = await startTelegram(app);
  const http = await startHttpServer({ port: 0, host: '127.0.0.1', routes: channel.routes, log: app.log });
  try {
    const t = performance.now();
    await post(`${http.url}/telegram`, list);
    await until(() => app.store.outbox.backlog() === 0);
    return list.length / ((performance.now() - t) / 1000);
  } finally {
    await http.close();
    await channel.stop();
    app.close();
    await api.close();
  }
}

type Ctx = Context & SessionFlavor<{ count: number }>;

/** grammY's webhook echo bot with its session in SQLite, sending through the same Bot API. */
export async function grammyWebhook(dir: string, list: Update[]): Promise<number> {
  const api = await botApi();
  const db = new Database(join(dir, `grammy-webhook-${Date.now()}.db`));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE IF NOT EXISTS s (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
  const get = db.prepare<[string], string>('SELECT value FROM s WHERE key = ?').pluck();
  const put = db.prepare(
    'INSERT INTO s (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  const bot = new Bot<Ctx>(TOKEN, { client: { apiRoot: api.root } });
  await bot.init();
  bot.use(
    session({
      initial: () => ({ count: 0 }),
      storage: {
        read: (key) => {
          const v = get.get(key);
          return v === undefined ? undefined : (JSON.parse(v) as { count: number });
        },
        write: (key, value) => {
          put.run(key, JSON.stringify(value));
        },
        delete: () => undefined,
      },
    }),
  );
  bot.on('message:text', async (ctx) => {
    ctx.session.count++;
    await ctx.reply(ctx.message.text);
  });
  const handle = webhookCallback(bot, 'http', { secretToken: SECRET });
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const t = performance.now();
    await post(url, list);
    return list.length / ((performance.now() - t) / 1000);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    db.close();
    await api.close();
  }
}

/** What `users` new users type (the mixed script of the engine's benchmark), one step of all after another. */
export function scriptUpdates(users: number, first: number): Update[] {
  const scripts = Array.from({ length: users }, (_, i) => mixedScript(LANGS[i % 3]!, i));
  const steps = Math.max(...scripts.map((s) => s.length));
  const out: Update[] = [];
  for (let step = 0; step < steps; step++)
    for (let u = 0; u < users; u++) {
      const text = scripts[u]![step];
      if (text === undefined) continue;
      const id = first + out.length + 1;
      const chat = first + u + 1;
      out.push({
        update_id: id,
        message: {
          message_id: id,
          date: 0,
          chat: { id: chat, type: 'private', first_name: 'u' },
          from: { id: chat, is_bot: false, first_name: 'u', language_code: LANGS[u % 3] },
          text,
        },
      } as Update);
    }
  return out;
}

/**
 * Both, round after round with new users, taking turns at going first; the rates and the ratio
 * are the medians of the rounds'. A full-size round of each goes first, not counted: the first
 * round of a process runs code not yet compiled, and on a shared machine the rounds' medians
 * stand up to a neighbour's burst better than one long run.
 */
export async function webhookBench(dir: string, users: number, rounds = 5) {
  const ours: number[] = [];
  const theirs: number[] = [];
  await puenteWebhook(dir, scriptUpdates(users, 3_000_000));
  await grammyWebhook(dir, scriptUpdates(users, 3_000_000));
  for (let r = 0; r < rounds; r++) {
    const list = scriptUpdates(users, 5_000_000 + r * 1_000_000);
    if (r % 2 === 0) {
      ours.push(await puenteWebhook(dir, list));
      theirs.push(await grammyWebhook(dir, list));
    } else {
      theirs.push(await grammyWebhook(dir, list));
      ours.push(await puenteWebhook(dir, list));
    }
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  };
  const ratios = ours.map((x, i) => x / theirs[i]!);
  return {
    updatesPerSec: Math.round(median(ours)),
    grammyWebhookPerSec: Math.round(median(theirs)),
    updates: scriptUpdates(users, 0).length,
    rounds,
    ratio: Math.round(median(ratios) * 1000) / 1000,
    roundRatios: ratios.map((x) => Math.round(x * 1000) / 1000),
  };
}
