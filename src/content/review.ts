import type { ContentFiles } from '../runtime/content.js';
import { LANG_NAMES, LANGS, type Lang } from '../text/lang.js';
import type { Problem } from './problems.js';
import { type Review, sourceHash } from './review-schema.js';
import { type ContentDoc, contentDocs } from './texts.js';

export type ReviewStatus = 'reviewed' | 'stale' | 'unreviewed' | 'missing';

/** The review state of one document (an FAQ entry, a flow, a locale file) in one language. */
export type ReviewState = {
  doc: ContentDoc;
  lang: Lang;
  status: ReviewStatus;
  /** The fingerprint of the Spanish text now: what a new review records as `source`. */
  source: string;
  reviewed: Review | null;
};

/** One line of `cli content stale`: what needs a reviewer, and why. */
export type StaleRow = {
  id: string;
  kind: ContentDoc['kind'];
  lang: Lang | null;
  status: 'stale' | 'unreviewed' | 'missing' | 'overdue';
  file: string;
  line: number;
  /** The fingerprint of the Spanish text now. */
  source: string;
  reviewed: Review | null;
  review_by: string | null;
};

/** Today as staff write dates, in the machine's time zone. */
export function today(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export function docSource(doc: ContentDoc): string {
  return sourceHash(doc.texts.map((t) => t.es));
}

export function reviewStates(docs: ContentDoc[]): ReviewState[] {
  const out: ReviewState[] = [];
  for (const doc of docs) {
    const source = docSource(doc);
    for (const lang of LANGS) {
      const reviewed = doc.reviewed[lang] ?? null;
      const missing = !doc.has(lang) || doc.texts.some((t) => !t.values[lang]);
      const status: ReviewStatus = missing
        ? 'missing'
        : !reviewed
          ? 'unreviewed'
          : reviewed.source === source
            ? 'reviewed'
            : 'stale';
      out.push({ doc, lang, status, source, reviewed });
    }
  }
  return out;
}

/** Everything a reviewer should look at: stale, never reviewed, missing, or past its review date. */
export function staleRows(files: ContentFiles, day = today()): StaleRow[] {
  const docs = contentDocs(files);
  const rows: StaleRow[] = [];
  for (const s of reviewStates(docs)) {
    if (s.status === 'reviewed') continue;
    rows.push({
      id: s.doc.id,
      kind: s.doc.kind,
      lang: s.lang,
      status: s.status,
      file: s.doc.file(s.lang),
      line: s.doc.at(s.lang).line,
      source: s.source,
      reviewed: s.reviewed,
      review_by: s.doc.reviewBy ?? null,
    });
  }
  for (const doc of docs) {
    if (!doc.reviewBy || doc.reviewBy >= day) continue;
    rows.push({
      id: doc.id,
      kind: doc.kind,
      lang: null,
      status: 'overdue',
      file: doc.file('es'),
      line: doc.at('es', 'review_by').line,
      source: docSource(doc),
      reviewed: null,
      review_by: doc.reviewBy,
    });
  }
  const order = { overdue: 0, stale: 1, missing: 2, unreviewed: 3 };
  return rows.sort(
    (a, b) =>
      order[a.status] - order[b.status] ||
      a.id.localeCompare(b.id) ||
      LANGS.indexOf(a.lang ?? 'es') - LANGS.indexOf(b.lang ?? 'es'),
  );
}

/**
 * Warnings for `cli check`: a stale review, a date to review by that has passed, texts never
 * reviewed (one line per document), and contacts staff have not confirmed.
 */
export function reviewProblems(files: ContentFiles, day = today()): Problem[] {
  const problems: Problem[] = [];
  const rows = staleRows(files, day);
  const warn = (file: string, line: number, code: string, message: string, hint: string) =>
    problems.push({ severity: 'warning', file, line, column: 1, code, message, hint });
  for (const r of rows) {
    if (r.status === 'stale' && r.reviewed && r.lang) {
      warn(
        r.file,
        r.line,
        'review.stale',
        `the ${LANG_NAMES[r.lang]} (${r.lang}) text of "${r.id}" was reviewed by ${r.reviewed.by} on ${r.reviewed.on}, but the Spanish text has changed since`,
        `check it against the Spanish text, then record the review: npm run cli -- content review ${r.id} --lang ${r.lang} --by "your name" (source ${r.source})`,
      );
    } else if (r.status === 'overdue') {
      warn(
        r.file,
        r.line,
        'review.overdue',
        `"${r.id}" was to be checked again by ${r.review_by}: the rules it describes may have changed`,
        'have someone who knows the current rules check the answer, then set a new review_by date',
      );
    }
  }
  const never = new Map<string, { row: StaleRow; langs: Lang[] }>();
  for (const r of rows) {
    if (r.status !== 'unreviewed' || !r.lang) continue;
    const key = `${r.id}\u0000${r.file}`;
    const group = never.get(key) ?? never.set(key, { row: r, langs: [] }).get(key)!;
    group.langs.push(r.lang);
  }
  for (const { row, langs } of never.values()) {
    warn(
      row.file,
      1,
      'review.missing',
      `"${row.id}" has never been reviewed in ${langs.join(', ')}`,
      `after a review, record it: npm run cli -- content review ${row.id} --lang ${langs[0]} --by "your name"`,
    );
  }
  const contacts = files.contactsSource;
  if (contacts) {
    for (const [code, c] of Object.entries(files.contacts.countries)) {
      if (!c.verified) {
        const at = contacts.locate(['countries', code, 'verified'], true);
        warn(
          contacts.file,
          at.line,
          'contacts.unverified',
          `the contacts of ${c.name.en} (${code}) are not verified`,
          'confirm the names with each institution (see source), then set verified: true and checked to that day',
        );
      }
      c.emergency.forEach((e, i) => {
        if (e.verified) return;
        const at = contacts.locate(['countries', code, 'emergency', i, 'verified'], true);
        warn(
          contacts.file,
          at.line,
          'contacts.unverified',
          `the ${e.service ?? 'emergency'} number ${e.number} of ${c.name.en} (${code}) is not verified`,
          'confirm it with the institution named in its source, then set verified: true and checked to that day',
        );
      });
    }
  }
  return problems;
}
