import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { z } from 'zod';
import type { Problem } from '../content/problems.js';
import { YamlSource, zodProblems } from '../content/yaml.js';
import { isLang, LANG_NAMES, LANGS } from '../text/lang.js';
import {
  type ContactsFile,
  ContactsFileSchema,
  type FaqEntry,
  FaqEntrySchema,
  MAX_ANSWER_WORDS,
  URGENT_MARK,
} from './schema.js';

export type LoadedFaq = { entries: Map<string, FaqEntry>; problems: Problem[] };

/** Reads data/faq/*.yaml: one file per topic, named after its id. */
export function loadFaqDir(dir: string, root = process.cwd()): LoadedFaq {
  const entries = new Map<string, FaqEntry>();
  const problems: Problem[] = [];
  const sources = new Map<string, YamlSource>();
  let files: string[] = [];
  try {
    files = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
  } catch {
    return { entries, problems };
  }
  for (const name of files) {
    const shown = relative(root, join(dir, name));
    const { source, problems: yamlProblems } = YamlSource.parse(shown, readFileSync(join(dir, name), 'utf8'));
    if (yamlProblems.length) {
      problems.push(...yamlProblems);
      continue;
    }
    const parsed = FaqEntrySchema.safeParse(source.data());
    if (!parsed.success) {
      problems.push(...zodProblems(source, parsed.error, faqHint));
      continue;
    }
    const entry = parsed.data;
    const expected = name.replace(/\.ya?ml$/, '');
    if (entry.id !== expected) {
      problems.push(
        source.problem(
          ['id'],
          'faq.id',
          `the id "${entry.id}" differs from the file name`,
          `rename the file to ${entry.id}.yaml or set id: ${expected}`,
        ),
      );
      continue;
    }
    entries.set(entry.id, entry);
    sources.set(entry.id, source);
  }
  for (const [id, entry] of entries) {
    const source = sources.get(id)!;
    entry.related.forEach((rel, i) => {
      if (!entries.has(rel)) {
        problems.push(
          source.problem(
            ['related', i],
            'faq.related',
            `the related id "${rel}" does not exist`,
            'use the id of another file in data/faq/',
          ),
        );
      }
    });
    for (const lang of LANGS) {
      const text = entry[lang];
      if (!text) {
        problems.push(
          source.problem(
            [],
            `string.missing.${lang}`,
            `the ${LANG_NAMES[lang]} (${lang}) version is missing; users get the Spanish one with a note`,
            `add a "${lang}:" block with title, question, phrasings, keywords and answer`,
            'warning',
          ),
        );
        continue;
      }
      if (entry.safety && !text.answer.split('\n').some((l) => l.trim().startsWith(URGENT_MARK))) {
        problems.push(
          source.problem(
            [lang, 'answer'],
            'faq.urgent',
            `the ${LANG_NAMES[lang]} (${lang}) answer lacks the urgent-help line: this topic can mean danger (safety: true)`,
            `add a line starting with ${URGENT_MARK} that says how to get urgent help, e.g. "${URGENT_MARK} If you are in danger now, call the emergency number."`,
          ),
        );
      }
      const words = text.answer.split(/\s+/).filter((w) => /[\p{L}\p{N}]/u.test(w)).length;
      if (words > MAX_ANSWER_WORDS) {
        problems.push(
          source.problem(
            [lang, 'answer'],
            'faq.long',
            `the ${lang} answer has ${words} words`,
            `shorten it to about 120 words: it is read on a phone`,
            'warning',
          ),
        );
      }
    }
  }
  return { entries, problems };
}

function faqHint(issue: z.core.$ZodIssue): string {
  const last = issue.path.at(-1);
  if (issue.code === 'unrecognized_keys')
    return 'an entry has id, related, safety, and es/en/ht blocks with title, question, phrasings, keywords, answer';
  if (isLang(last))
    return `write the ${LANG_NAMES[last]} block with title, question, phrasings, keywords and answer`;
  if (last === 'phrasings')
    return 'add more ways people really type the question: short, informal, misspelled, without accents';
  if (issue.code === 'invalid_type' && typeof last === 'string') return `add "${last}:" here`;
  return 'compare with another file in data/faq/';
}

export function loadContacts(
  path: string,
  root = process.cwd(),
): { contacts: ContactsFile; problems: Problem[] } {
  const empty: ContactsFile = { countries: {} };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { contacts: empty, problems: [] };
  }
  const { source, problems } = YamlSource.parse(relative(root, path), text);
  if (problems.length) return { contacts: empty, problems };
  const parsed = ContactsFileSchema.safeParse(source.data());
  if (!parsed.success) {
    return {
      contacts: empty,
      problems: zodProblems(source, parsed.error, () => 'see the comment at the top of data/contacts.yaml'),
    };
  }
  const missing = Object.entries(parsed.data.countries)
    .filter(([, c]) => c.emergency.length === 0)
    .map(([code, c]) =>
      source.problem(
        ['countries', code],
        'contacts.emergency',
        `${c.name.en} (${code}) has no emergency number: the emergency card and the help reply would have none to show`,
        'add emergency: { number: "...", source: "..." } (a list when police, fire and ambulance differ), with verified: false until it is confirmed',
      ),
    );
  return { contacts: parsed.data, problems: missing };
}
