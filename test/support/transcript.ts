import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import type { TranscriptLine } from '../../src/channels/console.js';
import { LangSchema } from '../../src/text/lang.js';

/** What one bot message is expected to look like; only the keys given are checked. */
const ExpectSchema = z.strictObject({
  flow: z.string().nullable().optional(),
  step: z.string().nullable().optional(),
  lang: LangSchema.optional(),
  faq: z.string().nullable().optional(),
  options: z.array(z.string()).optional(),
  options_include: z.array(z.string()).optional(),
  text: z.string().optional(),
  text_not: z.string().optional(),
  /** true: the message is the emergency card; false: it is not. */
  safety: z.boolean().optional(),
});
export type Expect = z.infer<typeof ExpectSchema>;

const StepSchema = z.union([
  z.strictObject({
    say: z.string(),
    /** What the message is, for the safety measurements: danger, ordinary, smalltalk, texting. */
    tags: z.array(z.enum(['danger', 'ordinary', 'smalltalk', 'texting'])).optional(),
    repeat: z.number().int().min(1).optional(),
    last: ExpectSchema.optional(),
    some: ExpectSchema.optional(),
    count: z.number().int().min(0).optional(),
  }),
  z.strictObject({ restart: z.literal(true) }),
  z.strictObject({ session: z.enum(['deleted', 'kept']) }),
  /** The topics the user is subscribed to now, as stored. */
  z.strictObject({ subscriptions: z.array(z.string()) }),
]);
export type TranscriptStep = z.infer<typeof StepSchema>;

export const TranscriptSchema = z.strictObject({
  name: z.string(),
  user: z.string().default('transcript-user'),
  lang: LangSchema.optional(),
  /** Settings the conversation runs with, as in .env (e.g. a staff inbox for talking to a person). */
  env: z.record(z.string(), z.string()).optional(),
  start: z.string().optional(),
  start_expect: ExpectSchema.optional(),
  steps: z.array(StepSchema).min(1),
});
export type Transcript = z.infer<typeof TranscriptSchema>;

export function readTranscript(path: string): Transcript {
  return TranscriptSchema.parse(parse(readFileSync(path, 'utf8')));
}

/** Returns what differs between a bot message and the expectation; empty when it matches. */
export function differences(line: TranscriptLine | undefined, want: Expect): string[] {
  if (!line) return ['no message'];
  const out: string[] = [];
  const ids = line.options.map((o) => o.id);
  if (want.flow !== undefined && line.flow !== want.flow) out.push(`flow ${line.flow} ≠ ${want.flow}`);
  if (want.step !== undefined && line.step !== want.step) out.push(`step ${line.step} ≠ ${want.step}`);
  if (want.lang !== undefined && line.lang !== want.lang) out.push(`lang ${line.lang} ≠ ${want.lang}`);
  if (want.faq !== undefined && (line.faq ?? null) !== want.faq) out.push(`faq ${line.faq} ≠ ${want.faq}`);
  if (want.options && ids.join(',') !== want.options.join(','))
    out.push(`options [${ids}] ≠ [${want.options}]`);
  for (const id of want.options_include ?? []) if (!ids.includes(id)) out.push(`options [${ids}] lack ${id}`);
  if (want.text && !line.text.toLowerCase().includes(want.text.toLowerCase()))
    out.push(`text lacks "${want.text}": ${line.text.slice(0, 120)}`);
  if (want.text_not && line.text.toLowerCase().includes(want.text_not.toLowerCase()))
    out.push(`text has "${want.text_not}"`);
  if (want.safety !== undefined && (line.safety ?? false) !== want.safety)
    out.push(want.safety ? 'not the emergency card' : 'the emergency card');
  return out;
}
