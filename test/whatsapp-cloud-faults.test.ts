import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../src/outbox/sender.js';
import { BotProcess, collapse } from './support/bot-process.js';
import { GraphApiStandIn, wa } from './support/graph-api-standin.js';
import { freshSchema } from './support/postgres.js';

const FIRST_USER = 50_937_100_000;

/** The store engines the process runs on: the SQLite file, or a PostgreSQL schema of its own. */
const ENGINES = [
  { name: 'sqlite', env: async () => ({ env: {}, drop: async () => {} }) },
  {
    name: 'postgres',
    env: async () => {
      const s = await freshSchema();
      return { env: { DATABASE_URL: s.url }, drop: s.drop };
    },
  },
];

describe.each(ENGINES)(
  'WhatsApp Cloud API under faults, a real process against the Graph API stand-in ($name)',
  (engine) => {
    let api: GraphApiStandIn;
    let dir: string;
    let bot: BotProcess;
    let drop: () => Promise<void>;

    beforeEach(async () => {
      api = new GraphApiStandIn();
      await api.start();
      dir = mkdtempSync(join(tmpdir(), 'puente-cloud-faults-'));
      const store = await engine.env();
      drop = store.drop;
      bot = new BotProcess(dir, {
        ...api.env(),
        ...store.env,
        HTTP_PORT: '0',
        OUTBOX_PER_CHAT_PER_S: '1000',
      });
    });

    afterEach(async () => {
      if (bot.child && bot.child.exitCode === null && bot.child.signalCode === null)
        await bot.kill('SIGKILL');
      await api.stop();
      await drop();
      rmSync(dir, { recursive: true, force: true });
    });

    /** The webhook's URL, once the process says where it listens. */
    const webhook = async (): Promise<string> => {
      let url = '';
      await api.until(() => {
        url = /http listening on (\S+)/.exec(bot.log)?.[1] ?? '';
        return url !== '';
      }, 30_000);
      return `${url}/whatsapp`;
    };

    /** What each user got, repeats next to each other counted once: a send in flight at the kill may go twice. */
    const received = (users: number) => {
      let missing = 0;
      let repeats = 0;
      for (let u = 0; u < users; u++) {
        const to = String(FIRST_USER + u);
        const bodies = api.delivered(to).map((m) => JSON.stringify({ ...m, to: undefined }));
        const seen = collapse(bodies);
        repeats += bodies.length - seen.length;
        const ok =
          seen.length === 2 &&
          seen[0]!.includes('Hola, soy Puente') &&
          seen[1]!.includes('Trabajo y justicia laboral');
        if (!ok) missing++;
      }
      return { missing, repeats };
    };

    it('kill -9 while replies wait in the outbox (Meta answering 500), then a restart on the same database: every reply delivered', async () => {
      const users = 60;
      bot.start();
      const url = await webhook();
      // Meta fails for a while: the first sends are refused and the replies wait in the outbox.
      api.failNext(...Array.from({ length: 40 }, () => ({ status: 500, code: 1, message: 'unknown error' })));
      for (let u = 0; u < users; u++) {
        const res = await api.post(url, api.body({ messages: [wa.text(String(FIRST_USER + u), 'hola')] }));
        // 200 only once the turn, and its reply in the outbox, are committed.
        expect(res.status).toBe(200);
      }
      await api.until(() => api.sends().length >= 45, 60_000);
      const killed = await bot.kill('SIGKILL');
      expect(killed.signal).toBe('SIGKILL');
      expect(received(users).missing).toBeGreaterThan(0);

      // Meta is well again; the next process on the same database sends what was left.
      api.recover();
      bot.start();
      await api.until(() => received(users).missing === 0, 120_000);
      // Only the sends in flight at the kill may go twice.
      expect(received(users).repeats).toBeLessThanOrEqual(DEFAULT_LIMITS.concurrency);
      await bot.kill('SIGTERM');
      expect(bot.log).not.toContain(String(FIRST_USER));
    }, 240_000);
  },
);
