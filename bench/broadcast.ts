import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadConfig, ROOT } from '../src/config/env.js';
import { createApp } from '../src/runtime/app.js';
import { createLogger } from '../src/runtime/log.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { LANGS } from '../src/text/lang.js';
import { BotApiStandIn } from '../test/support/bot-api-standin.js';

/**
 * A broadcast through the real bot (a child process running src/main.ts) to a stand-in Bot API:
 * the rate the stand-in's clock measures against the set rate, duplicates, and, after a SIGKILL
 * half way and a restart, anyone missed.
 */

const FIRST_CHAT = 10_000_000;

type RunResult = {
  delivered: number;
  distinct: number;
  duplicates: number;
  missed: number;
  achievedPerSec: number;
};

async function seed(
  dir: string,
  name: string,
  count: number,
): Promise<{ db: string; key: string; id: number }> {
  const db = join(dir, `${name}.db`);
  const key = join(dir, 'secret.key');
  const app = createApp(
    loadConfig({ DB_PATH: db, SECRET_KEY_FILE: key, LOG_LEVEL: 'silent' }, false),
    createLogger('silent'),
  );
  const { bot } = app;
  app.db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const chat = String(FIRST_CHAT + i);
      app.store.subscriptions.addSync(bot.userKeyOf('telegram', chat), {
        topic: 'covid',
        lang: LANGS[i % 3]!,
        channel: 'telegram',
        address: bot.addresses.seal('telegram', chat),
        how: 'command',
      });
    }
  })();
  const id = await app.store.broadcasts.create(
    'covid',
    { es: 'Vacunas gratis el sábado.', en: 'Free vaccines on Saturday.', ht: 'Vaksen gratis samdi.' },
    [],
  );
  await app.store.broadcasts.queue(id);
  await app.close();
  return { db, key, id };
}

/** Counts the stand-in's sendMessage calls as they come, without scanning them all each time. */
class Tally {
  private seen = 0;
  readonly perChat = new Map<number, number>();
  readonly times: number[] = [];
  constructor(private readonly api: BotApiStandIn) {}
  update(): void {
    const calls = this.api.calls;
    for (; this.seen < calls.length; this.seen++) {
      const c = calls[this.seen]!;
      if (c.method !== 'sendMessage') continue;
      const chat = Number(c.params.chat_id);
      if (chat < FIRST_CHAT) continue;
      this.perChat.set(chat, (this.perChat.get(chat) ?? 0) + 1);
      this.times.push(c.at);
    }
  }
  result(count: number): RunResult {
    this.update();
    const times = [...this.times].sort((a, b) => a - b);
    let missed = 0;
    for (let i = 0; i < count; i++) if (!this.perChat.has(FIRST_CHAT + i)) missed++;
    return {
      delivered: times.length,
      distinct: this.perChat.size,
      duplicates: times.length - this.perChat.size,
      missed,
      achievedPerSec: times.length > 1 ? (times.length - 1) / ((times.at(-1)! - times[0]!) / 1000) : 0,
    };
  }
}

async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('the broadcast benchmark timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function startBot(root: string, token: string, db: string, key: string, rate: number): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join('src', 'main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      TELEGRAM_BOT_TOKEN: token,
      TELEGRAM_API_ROOT: root,
      DB_PATH: db,
      SECRET_KEY_FILE: key,
      HOT_RELOAD: '0',
      LOG_LEVEL: 'error',
      BROADCAST_RATE: String(rate),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

const exit = (child: ChildProcess) =>
  new Promise<void>((r) => (child.exitCode !== null ? r() : child.on('exit', () => r())));

async function isDone(db: string, id: number): Promise<boolean> {
  const store = SqliteStore.open(db);
  try {
    return (await store.broadcasts.get(id))?.status === 'done';
  } finally {
    store.closeSync();
  }
}

export async function broadcastBench(dir: string, quick: boolean, say: (line: string) => void) {
  const count = quick ? 10_000 : 100_000;
  // A rate a shared two-core machine keeps for minutes, with the stand-in in this process.
  const rate = quick ? 1_000 : 500;
  const wait = (count / rate) * 3 * 1000 + 60_000;

  say(`broadcast: ${count.toLocaleString('en')} subscribers at ${rate}/s through a stand-in Bot API`);
  const api = new BotApiStandIn();
  const root = await api.start();
  try {
    const plain = await seed(dir, 'broadcast-rate', count);
    const tally = new Tally(api);
    const bot = startBot(root, api.token, plain.db, plain.key, rate);
    await until(() => {
      tally.update();
      return tally.perChat.size >= count;
    }, wait);
    await until(() => isDone(plain.db, plain.id), 30_000);
    bot.kill('SIGTERM');
    await exit(bot);
    const run = tally.result(count);

    say(`broadcast: SIGKILL half way through ${count.toLocaleString('en')}, then a restart`);
    const killed = await seed(dir, 'broadcast-kill', count);
    const api2 = new BotApiStandIn();
    const root2 = await api2.start();
    try {
      const tally2 = new Tally(api2);
      const first = startBot(root2, api2.token, killed.db, killed.key, rate);
      await until(() => {
        tally2.update();
        return tally2.perChat.size >= count / 2;
      }, wait);
      first.kill('SIGKILL');
      await exit(first);
      const second = startBot(root2, api2.token, killed.db, killed.key, rate);
      await until(() => {
        tally2.update();
        return tally2.perChat.size >= count;
      }, wait);
      await until(() => isDone(killed.db, killed.id), 30_000);
      second.kill('SIGTERM');
      await exit(second);
      const after = tally2.result(count);
      return {
        subscribers: count,
        setPerSec: rate,
        achievedPerSec: Math.round(run.achievedPerSec * 10) / 10,
        deviation: Math.round((Math.abs(run.achievedPerSec - rate) / rate) * 10_000) / 10_000,
        duplicates: run.duplicates,
        missed: run.missed,
        kill: { subscribers: count, missed: after.missed, duplicatesInFlight: after.duplicates },
      };
    } finally {
      await api2.stop();
    }
  } finally {
    await api.stop();
  }
}
