import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Problem } from '../content/problems.js';
import { YamlSource, zodProblems } from '../content/yaml.js';
import type { Translate } from '../engine/context.js';
import { commonText } from '../i18n/keys.js';
import { LANGS, type Lang } from '../text/lang.js';
import type { Broadcast, BroadcastTexts } from './store.js';

/**
 * A broadcast's message file: its text in es, en and ht, checked like content. It must fit one
 * Telegram message (4,096 characters) with the note and the footer the bot adds.
 */
export const MAX_BROADCAST_TEXT = 3500;

const TextSchema = z
  .string()
  .trim()
  .min(1, 'the text is empty')
  .max(
    MAX_BROADCAST_TEXT,
    `the text is longer than ${MAX_BROADCAST_TEXT} characters: keep it short for a phone`,
  );

export const MessageFileSchema = z.strictObject({
  es: TextSchema.optional(),
  en: TextSchema.optional(),
  ht: TextSchema.optional(),
});

const HINT = 'the file holds es:, en: and ht:, each with the text of the message (use "|" for several lines)';

/** Reads a message file; problems name the file and line. `missing` lists languages without a text. */
export function readMessageFile(
  path: string,
  shownAs: string,
  allowMissing: boolean,
): { texts: BroadcastTexts; missing: Lang[]; problems: Problem[] } {
  const empty = { texts: {}, missing: [...LANGS] };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    return {
      ...empty,
      problems: [
        {
          severity: 'error',
          file: shownAs,
          line: 1,
          column: 1,
          code: 'broadcast.file',
          message: `the file cannot be read: ${(e as Error).message}`,
          hint: 'check the path given to --file',
        },
      ],
    };
  }
  const { source, problems } = YamlSource.parse(shownAs, text);
  if (problems.length) return { ...empty, problems };
  const data = source.data() ?? {};
  // A language code staff got wrong ("fr", "kr") is shown at its own line.
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    const unknown = Object.keys(data).filter((k) => !(LANGS as readonly string[]).includes(k));
    if (unknown.length)
      return {
        ...empty,
        problems: unknown.map((k) =>
          source.problem(
            [k],
            'broadcast.key',
            `"${k}" is not a language of the bot`,
            'use es:, en: and ht: only',
          ),
        ),
      };
  }
  const parsed = MessageFileSchema.safeParse(data);
  if (!parsed.success) return { ...empty, problems: zodProblems(source, parsed.error, () => HINT) };
  const texts = parsed.data;
  const missing = LANGS.filter((l) => !texts[l]);
  const found: Problem[] = [];
  if (!texts.es)
    found.push(
      source.problem(
        [],
        'broadcast.es',
        'the Spanish text (es:) is missing',
        'Spanish is what readers of a missing language get: write it first',
      ),
    );
  for (const lang of missing) {
    if (lang === 'es') continue;
    found.push(
      source.problem(
        [],
        'broadcast.language',
        allowMissing
          ? `no ${lang} text: those subscribers get the Spanish text with a note`
          : `no ${lang} text`,
        allowMissing
          ? undefined
          : `add "${lang}:" with the text, or pass --allow-missing to send them the Spanish text with a note`,
        allowMissing ? 'warning' : 'error',
      ),
    );
  }
  return { texts, missing, problems: found };
}

/**
 * The message one subscriber reads: their language's text (or Spanish with a note), then the
 * footer that says why they get it and how to stop.
 */
export function composeBroadcast(b: Pick<Broadcast, 'texts'>, lang: Lang, t: Translate): string {
  const own = b.texts[lang];
  const text = own ?? b.texts.es ?? b.texts.en ?? b.texts.ht ?? '';
  const note = own ? '' : `${commonText(t, lang, 'broadcast.fallbackNote')}\n\n`;
  return `${note}${text.trim()}\n\n_${commonText(t, lang, 'broadcast.footer')}_`;
}
