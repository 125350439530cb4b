import { z } from 'zod';
import type { FaqEntry } from '../faq/schema.js';
import { type Taught, TeachError, teach, unansweredQuestions } from '../faq/teach.js';
import type { Store } from '../store/contract.js';
import { LANGS } from '../text/lang.js';

/** What the Report tab's "teach" sends: a question's short id (as `cli report --unanswered` prints it) and an entry. */
export const TeachRequestSchema = z.object({
  question: z
    .string()
    .trim()
    .regex(/^[0-9a-f]{4,64}$/i, 'question is the short id shown beside it'),
  entry: z
    .string()
    .trim()
    .regex(/^[a-z0-9][a-z0-9._-]{0,127}$/, 'entry is an FAQ entry id such as labor.unpaid-wages'),
});

export type TeachOutcome =
  | { ok: true; question: string; entry: string; taught: Taught }
  | { ok: false; status: 400 | 404 | 409; error: string };

/**
 * The same teach loop as `cli faq teach`: the question is found by its short id among every
 * unanswered question the store holds, and added to the entry's file in its own language.
 */
export async function teachFromStudio(
  store: Pick<Store, 'unanswered'>,
  faqDir: string,
  entries: ReadonlyMap<string, FaqEntry>,
  request: z.infer<typeof TeachRequestSchema>,
): Promise<TeachOutcome> {
  const id = request.question.toLowerCase();
  const matches = (await unansweredQuestions(store)).filter((q) => q.id.startsWith(id));
  if (matches.length === 0)
    return { ok: false, status: 404, error: `no unanswered question has the id "${id}"` };
  if (matches.length > 1)
    return {
      ok: false,
      status: 409,
      error: `the id "${id}" fits ${matches.length} questions: give more of it`,
    };
  const q = matches[0]!;
  if (!entries.has(request.entry))
    return { ok: false, status: 404, error: `there is no FAQ entry "${request.entry}"` };
  try {
    return {
      ok: true,
      question: q.id,
      entry: request.entry,
      taught: teach(faqDir, request.entry, q.lang, q.query),
    };
  } catch (e) {
    if (e instanceof TeachError) return { ok: false, status: 409, error: e.message };
    throw e;
  }
}

/**
 * Which entry already has a question as a phrasing in its language, compared as `teach` does:
 * a question taught a moment ago shows as taught, whatever the database still counts.
 */
export function taughtTo(
  entries: ReadonlyMap<string, FaqEntry>,
): (lang: string, query: string) => string | null {
  const index = new Map<string, string>();
  for (const entry of entries.values()) {
    for (const lang of LANGS) {
      for (const phrasing of entry[lang]?.phrasings ?? []) {
        const key = `${lang}\n${phrasing.trim()}`;
        if (!index.has(key)) index.set(key, entry.id);
      }
    }
  }
  return (lang, query) => index.get(`${lang}\n${query.trim()}`) ?? null;
}
