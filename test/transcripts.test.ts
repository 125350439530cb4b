import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Harness } from './support/harness.js';
import { differences, readTranscript } from './support/transcript.js';

const DIR = join(import.meta.dirname, 'transcripts');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('transcripts', () => {
  let h: Harness | undefined;
  afterEach(() => h?.close());

  it('has fixtures', () => expect(files.length).toBeGreaterThan(10));

  for (const file of files) {
    const t = readTranscript(join(DIR, file));
    it(`${file}: ${t.name}`, () => {
      h = new Harness();
      const hint = t.lang ? { lang: t.lang, sure: true } : undefined;
      const problems: string[] = [];
      if (t.start) {
        const out = h.send(t.user, { start: t.start }, hint);
        if (t.start_expect)
          problems.push(...differences(out.at(-1), t.start_expect).map((d) => `start: ${d}`));
      }
      for (const [i, step] of t.steps.entries()) {
        if ('restart' in step) {
          h.restart();
          continue;
        }
        if ('session' in step) {
          const key = h.app.bot.userKeyOf('console', t.user);
          const exists = h.app.bot.sessions.read(key) !== null;
          if (exists !== (step.session === 'kept'))
            problems.push(`#${i + 1} session is ${exists ? 'kept' : 'deleted'}`);
          continue;
        }
        if ('subscriptions' in step) {
          const key = h.app.bot.userKeyOf('console', t.user);
          const topics = h.app.bot.subscriptions.topicsOf(key);
          if (topics.join(',') !== [...step.subscriptions].sort().join(','))
            problems.push(`#${i + 1} subscribed to [${topics}], not [${step.subscriptions}]`);
          continue;
        }
        let out = h.send(t.user, { text: step.say }, hint);
        for (let r = 1; r < (step.repeat ?? 1); r++) out = h.send(t.user, { text: step.say }, hint);
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
