import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTelegram } from '../src/channels/telegram/run.js';
import { renderTelegram, type TelegramPayload } from '../src/channels/telegram/transport.js';
import { loadConfig } from '../src/config/env.js';
import { createApp, openApp } from '../src/runtime/app.js';
import { createLogger } from '../src/runtime/log.js';
import { BotApiStandIn } from './support/bot-api-standin.js';
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

  it('copies the replies not sent yet, in order, and the PostgreSQL instance sends them', async () => {
    const env2 = { ...env, DB_PATH: join(dir, 'pending.db') };
    const sqlite = createApp(loadConfig(env2, false), createLogger('silent'));
    // Turns as the Telegram channel runs them, with no sender running: the replies stay in the outbox.
    const chats = [7101, 7102, 7103];
    const expected = new Map<number, string[]>();
    const say = async (chat: number, text: string) => {
      const reply = await sqlite.bot.handle({
        channel: 'telegram',
        user: String(chat),
        event: { text },
        hint: { lang: 'es', sure: true },
        deliver: {
          address: String(chat),
          render: (messages, erase) => {
            const calls = renderTelegram(messages, erase);
            const texts = calls.flatMap((c: TelegramPayload) => (c.m === 'send' ? [c.text] : []));
            expected.set(chat, [...(expected.get(chat) ?? []), ...texts]);
            return calls;
          },
        },
      });
      expect(reply.duplicate).toBe(false);
    };
    for (const chat of chats) await say(chat, 'hola');
    await say(chats[0]!, '1');
    const pending = [...expected.values()].flat().length;
    expect(pending).toBeGreaterThan(chats.length);
    expect((await sqlite.store.outbox.stats(Date.now())).backlog).toBe(pending);
    await sqlite.close();

    const schema = await freshSchema();
    const api = new BotApiStandIn();
    const root = await api.start();
    try {
      const r = cli(['store', 'copy', '--to', schema.url, '--json'], '', env2);
      expect(r.status, r.stderr).toBe(0);
      expect(r.lines[0]).toMatchObject({ sessions: chats.length, outbox: pending });

      const config = loadConfig(
        { ...env2, DATABASE_URL: schema.url, TELEGRAM_BOT_TOKEN: api.token, TELEGRAM_API_ROOT: root },
        false,
      );
      const pg = await openApp(config, createLogger('silent'));
      try {
        expect((await pg.store.outbox.stats(Date.now())).backlog).toBe(pending);
        const channel = await startTelegram(pg);
        try {
          // Nothing is lost in the move: every reply reaches its chat, once and in order.
          await api.until(() => api.sent().length >= pending);
          for (const chat of chats)
            expect(api.sent(chat).map((c) => c.params.text)).toEqual(expected.get(chat));
          await api.until(async () => (await pg.store.outbox.stats(Date.now())).backlog === 0);
        } finally {
          await channel.stop();
        }
      } finally {
        await pg.close();
      }
    } finally {
      await api.stop();
      await schema.drop();
    }
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
