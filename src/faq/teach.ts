import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isSeq, parseDocument, YAMLSeq } from 'yaml';
import type { Store } from '../store/contract.js';
import { LANG_NAMES, type Lang } from '../text/lang.js';

/** An unanswered question as staff see it: scrubbed text, its language, how often, and a short id to teach it by. */
export type UnansweredQuestion = { id: string; lang: Lang; query: string; count: number; last: string };

/** A short id that stays the same for the same question in the same language, whatever the database. */
export function questionId(lang: string, query: string): string {
  return createHash('sha256').update(`${lang}\n${query}`).digest('hex').slice(0, 7);
}

/** The scrubbed unanswered questions since `sinceMs`, most asked first, from either store engine. */
export async function unansweredQuestions(
  store: Pick<Store, 'unanswered'>,
  sinceMs = 0,
): Promise<UnansweredQuestion[]> {
  const rows = await store.unanswered(sinceMs);
  return rows.map((r) => ({
    id: questionId(r.lang, r.query),
    lang: r.lang as Lang,
    query: r.query,
    count: r.count,
    last: new Date(r.last).toISOString(),
  }));
}

export class TeachError extends Error {
  override name = 'TeachError';
}

export type Taught = { file: string; lang: Lang; phrasing: string; added: boolean };

/**
 * Adds a question as a phrasing of an entry, in the question's language, marked `learned: true`
 * so that `cli check` reminds a reviewer to read it. The file is edited through the yaml Document
 * API: comments and the rest of the layout stay as staff wrote them.
 */
export function teach(faqDir: string, entryId: string, lang: Lang, text: string): Taught {
  const file = join(faqDir, `${entryId}.yaml`);
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    throw new TeachError(`there is no entry "${entryId}" (no file ${file}); see npm run cli -- faq list`);
  }
  const doc = parseDocument(source);
  if (doc.errors.length) throw new TeachError(`${file} cannot be read: fix it first (npm run cli -- check)`);
  const block = doc.get(lang, true);
  if (!isMap(block))
    throw new TeachError(`${entryId} has no ${LANG_NAMES[lang]} (${lang}) block to add the phrasing to`);
  const phrasing = text.trim();
  const found: unknown = block.get('phrasings', true);
  const seq = isSeq(found) ? found : new YAMLSeq();
  if (seq !== found) block.set('phrasings', seq);
  const known = doc.toJS()?.[lang]?.phrasings as unknown[] | undefined;
  const exists = (known ?? []).some(
    (p) => (typeof p === 'string' ? p : (p as { text?: string })?.text)?.trim() === phrasing,
  );
  if (exists) return { file, lang, phrasing, added: false };
  const node = doc.createNode({ text: phrasing, learned: true });
  node.flow = true;
  seq.add(node);
  const out = doc.toString({ lineWidth: 0, flowCollectionPadding: /\{ \S/.test(source) });
  // Written next to the file and renamed over it: a reload never reads half a file.
  const tmp = `${file}.teach-${process.pid}.tmp`;
  writeFileSync(tmp, out);
  renameSync(tmp, file);
  return { file, lang, phrasing, added: true };
}
