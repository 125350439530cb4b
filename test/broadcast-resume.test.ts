import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../src/config/env.js';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { BotApiStandIn } from './support/bot-api-standin.js';
import { range, seedSubscribers, TEXTS } from './support/broadcast-seed.js';
import { Harness } from './support/harness.js';

const COUNT = 400;

describe('a broadcast killed with SIGKILL half way continues after a restart', () => {
  const api = new BotApiStandIn();
  let h: Harness | undefined;
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await api.stop();
    h?.close();
  });

  it('misses nobody and repeats nothing beyond the messages in flight at the kill', async () => {
    const root = await api.start();
    h = new Harness();
    const chats = range(500_000, COUNT);
    seedSubscribers(h, chats);
    const id = await h.app.store.broadcasts.create('covid', TEXTS, []);
    await h.app.store.broadcasts.queue(id);
    await h.app.close();
    const env = {
      ...process.env,
      TELEGRAM_BOT_TOKEN: api.token,
      TELEGRAM_API_ROOT: root,
      DB_PATH: h.dbPath,
      SECRET_KEY_FILE: h.keyFile,
      HOT_RELOAD: '0',
      LOG_LEVEL: 'warn',
      BROADCAST_RATE: '60',
    };
    const bot = () => {
      const child = spawn(process.execPath, ['--import', 'tsx', join('src', 'main.ts')], {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      children.push(child);
      return child;
    };
    const set = new Set(chats);
    const delivered = () => api.sent().filter((c) => set.has(Number(c.params.chat_id)));

    const first = bot();
    const firstExit = new Promise((r) => first.on('exit', r));
    await api.until(() => delivered().length >= COUNT / 2, 60_000);
    first.kill('SIGKILL');
    await firstExit;
    const atKill = delivered().length;
    expect(atKill).toBeLessThan(COUNT);

    const second = bot();
    const secondExit = new Promise((r) => second.on('exit', r));
    await api.until(() => new Set(delivered().map((c) => c.params.chat_id)).size >= COUNT, 60_000);
    const db = SqliteStore.open(h.dbPath);
    const store = db.broadcasts;
    await api.until(async () => (await store.get(id))?.status === 'done', 20_000);
    const figures = await store.figures(id);
    db.closeSync();
    second.kill('SIGTERM');
    await secondExit;

    const perChat = new Map<number, number>();
    for (const c of delivered())
      perChat.set(Number(c.params.chat_id), (perChat.get(Number(c.params.chat_id)) ?? 0) + 1);
    const missed = chats.filter((c) => !perChat.has(c));
    const twice = [...perChat.values()].filter((n) => n > 1).length;
    expect(missed).toEqual([]);
    // The worker has at most 4 messages in flight: only those can have gone out twice.
    expect(twice).toBeLessThanOrEqual(4);
    expect(figures).toMatchObject({ queued: 0, sent: COUNT, failed: 0, blocked: 0 });
  }, 150_000);
});
