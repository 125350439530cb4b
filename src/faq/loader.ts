import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { z } from 'zod';
import type { Problem } from '../content/problems.js';
import { YamlSource, zodProblems } from '../content/yaml.js';
import { isLang, LANG_NAMES, LANGS } from '../text/lang.js';
import {
  type ContactsFile,
  ContactsFileSchema,
  FAQ_ORG_PLACEHOLDER,
  FAQ_TEXT_FIELDS,
  type FaqEntry,
  FaqEntrySchema,
  MAX_ANSWER_WORDS,
  URGENT_MARK,
} from './schema.js';

export type LoadedFaq = {
  entries: Map<string, FaqEntry>;
  /** Where each entry's values are in its file. */
  sources: Map<string, YamlSource>;
  /** Ids of files that exist but failed to load: references to them are not reported again. */
  broken: Set<string>;
  problems: Problem[];
};

/** Reads data/faq/*.yaml: one file per topic, named after its id. */
export function loadFaqDir(dir: string, root = process.cwd()): LoadedFaq {
  const entries = new Map<string, FaqEntry>();
  const problems: Problem[] = [];
  const sources = new Map<string, YamlSource>();
  const broken = new Set<string>();
  let files: string[] = [];
  try {
    files = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
  } catch {
    return { entries, sources, broken, problems };
  }
  for (const name of files) {
    const shown = relative(root, join(dir, name));
    const expected = name.replace(/\.ya?ml$/, '');
    const { source, problems: yamlProblems } = YamlSource.parse(shown, readFileSync(join(dir, name), 'utf8'));
    if (yamlProblems.length) {
      problems.push(...yamlProblems);
      broken.add(expected);
      continue;
    }
    const parsed = FaqEntrySchema.safeParse(source.data());
    if (!parsed.success) {
      problems.push(...zodProblems(source, parsed.error, faqHint));
      broken.add(expected);
      continue;
    }
    const entry = parsed.data;
    if (entry.id !== expected) {
      broken.add(expected);
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
    problems.push(...learnedProblems(source));
  }
  for (const [id, entry] of entries) {
    const source = sources.get(id)!;
    entry.related.forEach((rel, i) => {
      if (!entries.has(rel) && !broken.has(rel)) {
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
            `the ${LANG_NAMES[lang]} (${lang}) version is missing`,
            `add a "${lang}:" block with title, question, phrasings, keywords and answer; every entry needs es, en and ht`,
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
      for (const field of FAQ_TEXT_FIELDS) {
        for (const m of text[field].matchAll(/\{\{[^}]*\}\}/g)) {
          if (field === 'answer' && m[0] === FAQ_ORG_PLACEHOLDER) continue;
          problems.push(
            source.problem(
              [lang, field],
              'faq.placeholder',
              `the ${lang} ${field} holds "${m[0]}", which people would see as it is`,
              field === 'answer'
                ? `the only variable of an answer is ${FAQ_ORG_PLACEHOLDER} (how to reach the organisation); remove the braces`
                : 'remove the braces',
            ),
          );
        }
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
  return { entries, sources, broken, problems };
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
): { contacts: ContactsFile; source?: YamlSource; problems: Problem[] } {
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
        'add emergency: { number: "...", source: "...", checked: YYYY-MM-DD, verified: false } (a list when police, fire and ambulance differ); verified: false until staff confirm it',
      ),
    );
  return { contacts: parsed.data, source, problems: missing };
}

/** Phrasings added from real questions stay marked until a reviewer has read them. */
function learnedProblems(source: YamlSource): Problem[] {
  const data = source.data() as Record<string, { phrasings?: unknown[] } | undefined>;
  const out: Problem[] = [];
  for (const lang of LANGS) {
    (data[lang]?.phrasings ?? []).forEach((p, i) => {
      if (p && typeof p === 'object' && (p as { learned?: unknown }).learned === true)
        out.push(
          source.problem(
            [lang, 'phrasings', i],
            'faq.learned',
            `the ${lang} phrasing "${(p as { text?: unknown }).text}" was learned from a real question and is not reviewed yet`,
            'check that it belongs to this topic, then write it as a plain line (remove "learned: true"), or delete it',
            'warning',
          ),
        );
    });
  }
  return out;
}
