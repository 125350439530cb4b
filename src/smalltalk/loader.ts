import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Problem } from '../content/problems.js';
import { YamlSource, zodProblems } from '../content/yaml.js';
import type { Command, Danger } from '../engine/context.js';
import { LANGS } from '../text/lang.js';
import { SmallTalkMatcher } from './matcher.js';
import { LISTED_KINDS, type SmallTalkFile, SmallTalkFileSchema } from './schema.js';

const EMPTY: SmallTalkFile = SmallTalkFileSchema.parse(Object.fromEntries(LISTED_KINDS.map((k) => [k, {}])));

export type LoadedSmallTalk = { smallTalk: SmallTalkFile; problems: Problem[]; source: YamlSource | null };

/** Reads data/smalltalk.yaml; without it, greetings and thanks are searched in the FAQ like questions. */
export function loadSmallTalk(path: string, root = process.cwd()): LoadedSmallTalk {
  const shown = relative(root, path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {
      smallTalk: EMPTY,
      source: null,
      problems: [
        {
          severity: 'warning',
          file: shown,
          line: 1,
          column: 1,
          code: 'smalltalk.missing',
          message: 'the small talk file is missing: "gracias" or "ok" would be searched as questions',
          hint: 'restore data/smalltalk.yaml from the repository',
        },
      ],
    };
  }
  const { source, problems } = YamlSource.parse(shown, text);
  if (problems.length) return { smallTalk: EMPTY, problems, source: null };
  const parsed = SmallTalkFileSchema.safeParse(source.data());
  if (!parsed.success) {
    return {
      smallTalk: EMPTY,
      source: null,
      problems: zodProblems(
        source,
        parsed.error,
        () => `the file has the kinds ${LISTED_KINDS.join(', ')}, each with es, en and ht lists`,
      ),
    };
  }
  const matcher = new SmallTalkMatcher(parsed.data);
  const unreadable: Problem[] = [];
  for (const kind of LISTED_KINDS) {
    for (const lang of LANGS) {
      parsed.data[kind][lang].forEach((entry, i) => {
        if (!matcher.readable(entry)) {
          unreadable.push(
            source.problem(
              [kind, lang, i],
              'smalltalk.entry',
              `"${entry}" can never match: it has no letters, digits or emoji`,
              'write the word as people type it, or an emoji',
            ),
          );
        }
      });
    }
  }
  return { smallTalk: parsed.data, problems: unreadable, source };
}

/**
 * Entries that another rule reaches first: a command word, or a danger phrase (triage and
 * commands run before small talk). They would never get the small talk reply.
 */
export function shadowedSmallTalk(
  loaded: LoadedSmallTalk,
  command: (text: string) => Command | null,
  triage: (text: string) => Danger | null,
): Problem[] {
  const { source, smallTalk } = loaded;
  if (!source) return [];
  const problems: Problem[] = [];
  for (const kind of LISTED_KINDS) {
    for (const lang of LANGS) {
      smallTalk[kind][lang].forEach((entry, i) => {
        const cmd = command(entry);
        const danger = cmd ? null : triage(entry);
        if (!cmd && !danger) return;
        problems.push(
          source.problem(
            [kind, lang, i],
            'smalltalk.shadowed',
            cmd
              ? `"${entry}" is also the "${cmd}" command, which comes first`
              : `"${entry}" is also a danger phrase (${danger!.category}), which comes first`,
            'remove it from one of the two lists',
            'warning',
          ),
        );
      });
    }
  }
  return problems;
}
