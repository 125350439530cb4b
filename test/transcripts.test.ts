import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { TranscriptLine } from '../src/channels/console.js';
import type { LangHint } from '../src/engine/context.js';
import type { Event } from '../src/engine/types.js';
import { Harness } from './support/harness.js';
import { PgHarness } from './support/pg-harness.js';
import { differences, readTranscript } from './support/transcript.js';

const DIR = join(import.meta.dirname, 'transcripts');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

/** What a transcript needs of the app, on either engine. */
type Rig = {
  send: (user: string, event: Event, hint?: LangHint) => Promise<TranscriptLine[]>;
  restart: () => Promise<void>;
  sessionKept: (user: string) => Promise<boolean>;
  /** The topics the user is subscribed to, sorted. */
  topics: (user: string) => Promise<string[]>;
  done: () => Promise<void>;
};

/** SQLite: a new file per transcript. */
async function sqliteRig(env: Record<string, string>): Promise<Rig> {
  const h = new Harness(env);
  return {
    send: (user, event, hint) => h.send(user, event, hint),
    restart: async () => h.restart(),
    sessionKept: async (user) => (await h.app.store.session(h.app.bot.userKeyOf('console', user))) !== null,
    topics: (user) => h.app.store.subscriptions.topicsOf(h.app.bot.userKeyOf('console', user)),
    done: async () => h.close(),
  };
}

/** PostgreSQL: one schema for the file, emptied before each transcript, with its settings. */
let pg: PgHarness | undefined;
async function postgresRig(env: Record<string, string>): Promise<Rig> {
  pg ??= await PgHarness.open();
  await pg.reset(env);
  const h = pg;
  return {
    send: (user, event, hint) => h.send(user, event, hint),
    restart: () => h.restart(),
    sessionKept: async (user) => (await h.app.store.session(h.app.bot.userKeyOf('console', user))) !== null,
    topics: (user) => h.app.store.subscriptions.topicsOf(h.app.bot.userKeyOf('console', user)),
    done: async () => {},
  };
}

describe.each([
  { engine: 'sqlite', open: sqliteRig },
  { engine: 'postgres', open: postgresRig },
])('transcripts on $engine', ({ open }) => {
  let h: Rig | undefined;
  afterEach(async () => {
    await h?.done();
    h = undefined;
  });
  afterAll(async () => {
    await pg?.close();
    pg = undefined;
  });

  it('has fixtures', () => expect(files.length).toBeGreaterThan(10));

  for (const file of files) {
    const t = readTranscript(join(DIR, file));
    it(`${file}: ${t.name}`, async () => {
      const rig = await open(t.env ?? {});
      h = rig;
      const hint = t.lang ? { lang: t.lang, sure: true } : undefined;
      const problems: string[] = [];
      if (t.start) {
        const out = await rig.send(t.user, { start: t.start }, hint);
        if (t.start_expect)
          problems.push(...differences(out.at(-1), t.start_expect).map((d) => `start: ${d}`));
      }
      for (const [i, step] of t.steps.entries()) {
        if ('restart' in step) {
          await rig.restart();
          continue;
        }
        if ('session' in step) {
          const exists = await rig.sessionKept(t.user);
          if (exists !== (step.session === 'kept'))
            problems.push(`#${i + 1} session is ${exists ? 'kept' : 'deleted'}`);
          continue;
        }
        if ('subscriptions' in step) {
          const topics = await rig.topics(t.user);
          if (topics.join(',') !== [...step.subscriptions].sort().join(','))
            problems.push(`#${i + 1} subscribed to [${topics}], not [${step.subscriptions}]`);
          continue;
        }
        let out = await rig.send(t.user, { text: step.say }, hint);
        for (let r = 1; r < (step.repeat ?? 1); r++) out = await rig.send(t.user, { text: step.say }, hint);
        const where = `#${i + 1} "${step.say.slice(0, 30)}"`;
        if (step.count !== undefined && out.length !== step.count)
          problems.push(`${where}: ${out.length} messages, not ${step.count}`);
        if (step.last) problems.push(...differences(out.at(-1), step.last).map((d) => `${where}: ${d}`));
        if (step.some && !out.some((line) => differences(line, step.some!).length === 0)) {
          problems.push(`${where}: no message matches ${JSON.stringify(step.some)}`);
        }
      }
      expect(problems).toEqual([]);
    });
  }
});
