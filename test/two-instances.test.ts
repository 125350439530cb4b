import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertMessageToTelegram, convertUpdateToIncoming } from '../src/channels/telegram/convert.js';
import { ROOT } from '../src/config/env.js';
import { BotApiStandIn, textUpdate } from './support/bot-api-standin.js';
import { Harness } from './support/harness.js';
import { freshSchema } from './support/postgres.js';

const USERS = 200;
const SCRIPTS = {
  es: ['hola', '1', 'atrás', 'mi patron no me paga'],
  en: ['hello', '2', 'menu', 'where can i get vaccinated'],
  ht: ['bonjou', '1', 'retounen', 'patwon an pa peye m'],
} as const;
const LANGS = ['es', 'en', 'ht'] as const;
const SECRET = 'two-instances-secret';
/** Users whose updates are in flight at once. */
const PARALLEL = 25;

type Instance = { child: ChildProcess; port: number; log: () => string; exited: Promise<void> };

/** One bot process, as `npm start` runs it, in Telegram webhook mode on a free port. */
function startInstance(env: Record<string, string>): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the instance did not start:\n${log}`)), 60_000);
    const read = (d: Buffer) => {
      log += String(d);
      const m = /"port":(\d+)[^\n]*telegram webhook listening/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]), log: () => log, exited });
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.on('exit', (code) => reject(new Error(`the instance exited (${code}):\n${log}`)));
  });
}

/** Posts an update as Telegram does: again after a failure, until the bot answers 200. */
async function deliver(port: number, update: unknown): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`http://127.0.0.1:${port}/telegram/hook`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
      body: JSON.stringify(update),
    }).catch(() => null);
    await res?.text();
    if (res?.status === 200) return;
    if (attempt === 5) throw new Error(`update not accepted: ${res?.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('two instances on one PostgreSQL database, Telegram webhooks', () => {
  const api = new BotApiStandIn();
  const dir = mkdtempSync(join(tmpdir(), 'puente-two-'));
  let drop: (() => Promise<void>) | undefined;
  const instances: Instance[] = [];

  beforeAll(async () => {
    const root = await api.start();
    const schema = await freshSchema();
    drop = schema.drop;
    const env = {
      TELEGRAM_BOT_TOKEN: api.token,
      TELEGRAM_API_ROOT: root,
      TELEGRAM_WEBHOOK_URL: 'https://bot.example.org/telegram/hook',
      TELEGRAM_WEBHOOK_SECRET: SECRET,
      TELEGRAM_WEBHOOK_PORT: '0',
      DATABASE_URL: schema.url,
      // The same secret on both: a user has the same key whichever instance serves them.
      USER_KEY_SECRET: 'the-same-secret-on-every-instance',
      SECRET_KEY_FILE: join(dir, 'secret.key'),
      DB_PATH: join(dir, 'unused.db'),
      HOT_RELOAD: '0',
      LOG_LEVEL: 'info',
    };
    // Both start at once: the migrations run once, the second instance waits for the first.
    instances.push(...(await Promise.all([startInstance(env), startInstance(env)])));
  }, 120_000);

  afterAll(async () => {
    for (const i of instances) i.child.kill('SIGKILL');
    await Promise.all(instances.map((i) => i.exited));
    await api.stop();
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every update exactly once, in order for each chat, whichever instance gets it', async () => {
    const users = Array.from({ length: USERS }, (_, i) => {
      const lang = LANGS[i % 3]!;
      const chat = 900_000 + i;
      return { i, chat, updates: SCRIPTS[lang].map((text) => textUpdate(chat, text, lang)) };
    });

    // What one instance on its own would answer: the same engine, fed the same updates.
    const reference = new Harness();
    const expected = new Map<number, string[]>();
    try {
      for (const u of users) {
        const texts: string[] = [];
        for (const update of u.updates) {
          const incoming = convertUpdateToIncoming(update);
          if (!('event' in incoming)) throw new Error('not a message update');
          const reply = await reference.app.bot.handle({
            channel: 'telegram',
            user: incoming.user,
            event: incoming.event,
            updateId: incoming.updateId,
            messageId: incoming.messageId === undefined ? undefined : String(incoming.messageId),
            hint: incoming.hint,
          });
          texts.push(...reply.messages.flatMap((m) => convertMessageToTelegram(m).map((s) => s.text)));
        }
        expected.set(u.chat, texts);
      }
    } finally {
      reference.close();
    }

    const [a, b] = instances as [Instance, Instance];
    const run = async (u: (typeof users)[number]) => {
      for (const [k, update] of u.updates.entries()) {
        // Alternately: each update of a chat goes to the other instance than the one before.
        const first = (u.i + k) % 2 === 0 ? a : b;
        const other = first === a ? b : a;
        if (u.i % 4 === 0 && k === 1) {
          // The same update to both instances at the same moment.
          await Promise.all([deliver(first.port, update), deliver(other.port, update)]);
        } else {
          await deliver(first.port, update);
          // Redelivered to the other instance after it was answered.
          if (u.i % 4 === 1 && k === 2) await deliver(other.port, update);
        }
      }
    };
    const queue = [...users];
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        for (let u = queue.shift(); u; u = queue.shift()) await run(u);
      }),
    );

    const wrong: number[] = [];
    for (const u of users) {
      const sent = api.sent(u.chat).map((c) => String(c.params.text));
      if (JSON.stringify(sent) !== JSON.stringify(expected.get(u.chat))) wrong.push(u.chat);
    }
    expect(wrong, `chats answered wrongly: ${wrong.slice(0, 5).join(', ')}`).toEqual([]);
    expect(api.sent().length).toBe([...expected.values()].reduce((n, t) => n + t.length, 0));
  }, 300_000);
});

describe('DATABASE_URL with channels that run in one instance only', () => {
  it('says so at start: Telegram long polling cannot be shared, and every instance needs the same key', async () => {
    const api = new BotApiStandIn();
    const root = await api.start();
    const schema = await freshSchema();
    const dir = mkdtempSync(join(tmpdir(), 'puente-single-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        TELEGRAM_BOT_TOKEN: api.token,
        TELEGRAM_API_ROOT: root,
        DATABASE_URL: schema.url,
        SECRET_KEY_FILE: join(dir, 'secret.key'),
        DB_PATH: join(dir, 'unused.db'),
        HOT_RELOAD: '0',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d) => {
      log += String(d);
    });
    child.stderr.on('data', (d) => {
      log += String(d);
    });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    try {
      // Long polling began: the warnings came before it.
      await api.until(() => api.calls.some((c) => c.method === 'getUpdates'), 60_000);
      expect(log).toContain('"code":"store.single_instance"');
      expect(log).toContain('Telegram long polling');
      expect(log).toContain('"code":"store.key_file"');
    } finally {
      child.kill('SIGKILL');
      await exited;
      await api.stop();
      await schema.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
