import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BroadcastWorker } from '../src/broadcast/worker.js';
import { OutboxSender } from '../src/outbox/sender.js';
import { createLogger } from '../src/runtime/log.js';
import { PostgresStore } from '../src/store/postgres/store.js';
import { TEXTS } from './support/broadcast-seed.js';
import { cli } from './support/cli.js';
import { PgHarness } from './support/pg-harness.js';

const LANGS = ['es', 'en', 'ht'] as const;

describe('broadcasts on PostgreSQL', () => {
  let h: PgHarness;
  let env: Record<string, string>;
  beforeAll(async () => {
    h = await PgHarness.open();
    env = {
      DATABASE_URL: h.url,
      SECRET_KEY_FILE: h.keyFile,
      DB_PATH: join(h.dir, 'unused.db'),
      TELEGRAM_BOT_TOKEN: '123:abc',
    };
  });
  afterAll(async () => h?.close());

  const seed = async (chats: number[], topic = 'covid', channel = 'telegram') => {
    const { bot, store } = h.app;
    for (const [i, chat] of chats.entries())
      await store.subscriptions.add(bot.userKeyOf(channel, String(chat)), {
        topic,
        lang: LANGS[i % 3]!,
        channel,
        address: bot.addresses.seal(channel, String(chat)),
        how: 'command',
      });
  };

  it('cli broadcast and cli report use the store DATABASE_URL names', async () => {
    await h.reset();
    await seed([10, 11, 12, 13, 14]);
    const message = join(h.dir, 'message.yaml');
    writeFileSync(message, 'es: "Vacunas gratis."\nen: "Free vaccines."\nht: "Vaksen gratis."\n');
    const made = cli(['broadcast', 'create', '--topic', 'covid', '--file', message, '--json'], '', env);
    expect(made.status, made.stderr).toBe(0);
    const { id } = made.lines[0] as { id: number };
    expect((await h.app.store.broadcasts.get(id))?.status).toBe('draft');
    const dry = cli(['broadcast', 'send', String(id), '--dry-run'], '', env);
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/telegram\ses\t2/);
    expect(dry.stdout).toMatch(/would send 5 message/);
    expect(cli(['broadcast', 'send', String(id)], '', env).status).toBe(0);
    expect((await h.app.store.broadcasts.get(id))?.status).toBe('queued');
    expect(cli(['broadcast', 'status', String(id), '--json'], '', env).lines).toEqual([
      { queued: 0, sent: 0, failed: 0, blocked: 0, replies: 0 },
    ]);
    expect(cli(['broadcast', 'cancel', String(id)], '', env).status).toBe(0);
    const report = cli(['report'], '', env);
    expect(report.status, report.stderr).toBe(0);
    const listed = report.stdout.slice(report.stdout.indexOf('Subscribers now'));
    expect(listed).toMatch(/2 {2}covid en\n\s+2 {2}covid es\n\s+1 {2}covid ht/);
    expect(listed).toMatch(new RegExp(`#${id} covid cancelled`));
  }, 120_000);

  it('two instances send one broadcast together, each subscriber once', async () => {
    await h.reset();
    const chats = Array.from({ length: 60 }, (_v, i) => 1000 + i);
    await seed(chats);
    const id = await h.app.store.broadcasts.create('covid', TEXTS, []);
    await h.app.store.broadcasts.queue(id);
    const other = await PostgresStore.open(h.url);
    const sent: string[] = [];
    const log = createLogger('silent');
    const instance = (store: PostgresStore | typeof h.app.store) => {
      const sender = new OutboxSender({
        channel: 'telegram',
        store: store.outbox,
        seal: h.app.bot.seal,
        transport: {
          send: async (address) => {
            sent.push(address);
            await new Promise((r) => setTimeout(r, 5));
            return { ok: true, ids: [] };
          },
        },
        log,
        limits: { perSecond: 1000 },
      });
      const w = new BroadcastWorker({
        store: store.broadcasts,
        outboxes: [
          {
            channel: 'telegram',
            rate: 200,
            render: (b, lang) => [{ m: 'send', text: b.texts[lang] ?? '' }],
            wake: (key) => sender.wake(key),
          },
        ],
        seal: h.app.bot.seal,
        addresses: h.app.bot.addresses,
        log,
        idleMs: 20,
      });
      return { sender, w };
    };
    const both = [instance(h.app.store), instance(other)];
    for (const i of both) {
      i.sender.start();
      i.w.start();
    }
    try {
      const end = Date.now() + 30_000;
      while ((await h.app.store.broadcasts.get(id))?.status !== 'done' && Date.now() < end)
        await new Promise((r) => setTimeout(r, 50));
    } finally {
      for (const i of both) {
        await i.w.stop();
        await i.sender.stop();
      }
      await other.close();
    }
    expect([...sent].sort()).toEqual(chats.map(String).sort());
    expect(await h.app.store.broadcasts.figures(id)).toMatchObject({ queued: 0, sent: 60 });
  }, 60_000);
});
