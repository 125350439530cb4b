import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { convertToTranscript, type TranscriptLine } from '../src/channels/console.js';
import { WHATSAPP_CLOUD_CHANNEL } from '../src/channels/whatsapp-cloud/channel.js';
import type { Bot, Reply } from '../src/runtime/bot.js';
import { CloudRig } from './support/cloud-rig.js';
import { wa } from './support/graph-api-standin.js';
import { differences, readTranscript } from './support/transcript.js';

const DIR = join(import.meta.dirname, 'transcripts');
/** The Creole conversations, and the Creole deep link. */
const files = readdirSync(DIR)
  .filter((f) => /^(ht-.*|deep-link-ht|detect-ht)\.yaml$/.test(f))
  .sort();

type Sent = Record<string, unknown>;

type Choice = { id: string; title: string };

/** The buttons or list rows the last message offered, in order; none for numbered text. */
function replies(m: Sent | undefined): Choice[] {
  if (m?.type !== 'interactive') return [];
  const i = m.interactive as { type: string; action: Record<string, unknown> };
  return i.type === 'button'
    ? (i.action.buttons as Array<{ reply: Choice }>).map((b) => b.reply)
    : (i.action.sections as Array<{ rows: Choice[] }>).flatMap((s) => s.rows);
}

/** Records the bot's replies as the webhook's turns produce them. */
function tap(bot: Bot, into: Reply[]): void {
  const handle = bot.handle.bind(bot);
  bot.handle = async (input) => {
    const reply = await handle(input);
    into.push(reply);
    return reply;
  };
}

describe('Creole transcripts through the WhatsApp Cloud API channel', () => {
  let rig: CloudRig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('has Creole fixtures', () => expect(files.length).toBeGreaterThanOrEqual(5));

  for (const [n, file] of files.entries()) {
    const t = readTranscript(join(DIR, file));
    it(`${file}: ${t.name}`, async () => {
      rig = await CloudRig.start();
      const phone = `5093710${String(n).padStart(4, '0')}`;
      const turns: Reply[] = [];
      tap(rig.h.app.bot, turns);
      const problems: string[] = [];
      let shown: Sent | undefined;

      /** One message over the webhook; checks that what was sent is the turn's messages, rendered. */
      const exchange = async (message: { from: string }): Promise<TranscriptLine[]> => {
        const before = turns.length;
        const sent = await rig!.exchange(message);
        const turn = turns.slice(before).filter((r) => !r.duplicate);
        if (turn.length !== 1) throw new Error(`expected one turn, got ${turn.length}`);
        const reply = turn[0]!;
        const rendered = rig!.cloud.render(reply.messages, reply.lang);
        expect(sent.map(({ messaging_product, recipient_type, to, ...rest }) => rest)).toEqual(rendered);
        shown = sent.at(-1);
        return reply.messages.map((m) => convertToTranscript(m, reply.lang));
      };

      /** A number on a menu shown as buttons or a list is tapped, as a person would; anything else is typed. */
      let tapped = 0;
      const say = (text: string) => {
        const offered = replies(shown);
        const n = Number(text);
        if (Number.isInteger(n) && n >= 1 && n <= offered.length) {
          tapped++;
          const { id, title } = offered[n - 1]!;
          const buttons = (shown?.interactive as { type?: string } | undefined)?.type === 'button';
          return exchange(buttons ? wa.buttonReply(phone, id, title) : wa.listReply(phone, id, title));
        }
        return exchange(wa.text(phone, text));
      };

      if (t.start) {
        const out = await exchange(wa.text(phone, `Bonjou! Mwen vle enfòmasyon (${t.start})`));
        if (t.start_expect)
          problems.push(...differences(out.at(-1), t.start_expect).map((d) => `start: ${d}`));
      }
      for (const [i, step] of t.steps.entries()) {
        if ('restart' in step) {
          await rig.restart();
          tap(rig.h.app.bot, turns);
          continue;
        }
        if ('session' in step) {
          const key = rig.h.app.bot.userKeyOf(WHATSAPP_CLOUD_CHANNEL, phone);
          const exists = rig.h.app.store.sessions.read(key) !== null;
          if (exists !== (step.session === 'kept'))
            problems.push(`#${i + 1} session is ${exists ? 'kept' : 'deleted'}`);
          continue;
        }
        if ('subscriptions' in step) {
          const key = rig.h.app.bot.userKeyOf(WHATSAPP_CLOUD_CHANNEL, phone);
          const topics = await rig.h.app.store.subscriptions.topicsOf(key);
          if (topics.join(',') !== [...step.subscriptions].sort().join(','))
            problems.push(`#${i + 1} subscribed to [${topics}], not [${step.subscriptions}]`);
          continue;
        }
        let out = await say(step.say);
        for (let r = 1; r < (step.repeat ?? 1); r++) out = await say(step.say);
        const where = `#${i + 1} "${step.say.slice(0, 30)}"`;
        if (step.count !== undefined && out.length !== step.count)
          problems.push(`${where}: ${out.length} messages, not ${step.count}`);
        if (step.last) problems.push(...differences(out.at(-1), step.last).map((d) => `${where}: ${d}`));
        if (step.some && !out.some((line) => differences(line, step.some!).length === 0)) {
          problems.push(`${where}: no message matches ${JSON.stringify(step.some)}`);
        }
      }
      expect(problems).toEqual([]);
      // Menus of Creole labels fit in lists: the numbers were taps, not typed text.
      if (t.steps.some((s) => 'say' in s && /^\d$/.test(s.say))) expect(tapped).toBeGreaterThan(0);
    });
  }
});
