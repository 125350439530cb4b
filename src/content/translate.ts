import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { contentPaths } from '../config/env.js';
import { type ContentFiles, readContentFiles } from '../runtime/content.js';
import { isLang, LANG_NAMES } from '../text/lang.js';
import { applyEdits, type Edit } from './edit.js';
import { formatProblem } from './problems.js';
import { reviewStates } from './review.js';
import { type ContentDoc, contentDocs, countWords, placeholders } from './texts.js';

/** The languages translators work in; Spanish is the source. */
export const TARGET_LANGS = ['en', 'ht'] as const;
export type TargetLang = (typeof TARGET_LANGS)[number];

/** The columns of a translation sheet: the language's code heads its column. */
export function sheetHeader(lang: TargetLang): string[] {
  return ['id', 'field', 'es', lang, 'status'];
}

export type SheetRow = { id: string; field: string; es: string; translation: string; status: string };

/** One row per text people read: its id, its field, the Spanish source, the translation and its status. */
export function exportRows(files: ContentFiles, lang: TargetLang): SheetRow[] {
  const docs = contentDocs(files);
  const status = new Map(reviewStates(docs).map((s) => [`${s.doc.id}\u0000${s.lang}`, s.status]));
  const rows: SheetRow[] = [];
  for (const doc of docs) {
    const docStatus = status.get(`${doc.id}\u0000${lang}`) ?? 'unreviewed';
    for (const t of doc.texts) {
      const translation = t.values[lang] ?? '';
      rows.push({
        id: doc.id,
        field: t.field,
        es: tidy(t.es),
        translation: tidy(translation),
        status: translation ? (docStatus === 'missing' ? 'unreviewed' : docStatus) : 'missing',
      });
    }
  }
  return rows;
}

export function exportCsv(files: ContentFiles, lang: TargetLang): string {
  const rows = exportRows(files, lang).map((r) => [r.id, r.field, r.es, r.translation, r.status]);
  return stringify([sheetHeader(lang), ...rows], { record_delimiter: '\n' });
}

/** A row that cannot be imported: its number as a spreadsheet shows it (the header is row 1). */
export type RowError = { row: number; message: string };

export type ImportPlan = {
  lang: TargetLang;
  edits: Edit[];
  /** The new text of each file to write, by path relative to the content root. */
  files: Map<string, string>;
  unchanged: number;
  empty: number;
  /** Rows whose Spanish text changed after the sheet was exported: imported, but worth a look. */
  sourceChanged: number[];
  errors: RowError[];
};

/**
 * Reads a translation sheet and works out every change, without writing anything. Every row is
 * checked first: the id and field exist, {{placeholders}} are kept, and the text fits its limits
 * (a button's label, a message, an answer's words). Then the changed files are checked together,
 * as the bot would load them. Any error leaves `files` empty.
 */
export function planImport(root: string, csv: string, langOption?: string): ImportPlan {
  const files = readContentFiles(contentPaths(root));
  const plan: ImportPlan = {
    lang: 'ht',
    edits: [],
    files: new Map(),
    unchanged: 0,
    empty: 0,
    sourceChanged: [],
    errors: [],
  };
  const fail = (row: number, message: string) => plan.errors.push({ row, message });
  if (files.problems.some((p) => p.severity === 'error')) {
    fail(0, 'the content has errors already: fix them first (npm run cli -- check), then import again');
    return plan;
  }
  let records: string[][];
  try {
    records = parse(csv, {
      bom: true,
      delimiter: guessDelimiter(csv),
      relax_column_count: true,
    }) as string[][];
  } catch (e) {
    fail(0, `the file cannot be read as CSV: ${(e as Error).message}`);
    return plan;
  }
  const header = (records[0] ?? []).map((h) => h.trim().toLowerCase());
  const named = header[3];
  const lang = named && isLang(named) ? named : langOption;
  if (
    header.length < 5 ||
    header[0] !== 'id' ||
    header[1] !== 'field' ||
    header[2] !== 'es' ||
    header[4] !== 'status' ||
    !lang ||
    !(TARGET_LANGS as readonly string[]).includes(lang)
  ) {
    fail(
      1,
      `the first row must be the header "id,field,es,<en or ht>,status", as "cli content export" writes it`,
    );
    return plan;
  }
  if (langOption && langOption !== lang) {
    fail(1, `the sheet holds ${lang} texts, not ${langOption}`);
    return plan;
  }
  plan.lang = lang as TargetLang;
  const docs = new Map(contentDocs(files).map((d) => [d.id, d]));
  const seen = new Map<string, number>();
  for (const [i, cells] of records.slice(1).entries()) {
    const row = i + 2;
    // Spreadsheets often save rows of empty cells at the end.
    if (cells.every((c) => !c.trim())) continue;
    const problem = planRow(plan, docs, seen, row, cells);
    if (problem) fail(row, problem);
  }
  if (plan.errors.length || !plan.edits.length) return plan;
  const changed = applyEdits(root, plan.edits);
  const after = checkWith(root, changed);
  if (after.length) {
    for (const p of after) fail(0, `after the import the content would have this error: ${p}`);
    return plan;
  }
  plan.files = changed;
  return plan;
}

/** Checks one row and adds its edit to the plan; returns what is wrong, if anything. */
function planRow(
  plan: ImportPlan,
  docs: Map<string, ContentDoc>,
  seen: Map<string, number>,
  row: number,
  cells: string[],
): string | undefined {
  const lang = plan.lang;
  if (cells.length < 4) return `expected the columns id, field, es, ${lang} and status`;
  const [id = '', field = '', es = '', raw = ''] = cells;
  const doc = docs.get(id.trim());
  if (!doc) return `there is no text with the id "${id}"`;
  const text = doc.texts.find((t) => t.field === field.trim());
  if (!text) return `"${id}" has no field "${field}"`;
  const key = `${doc.id}\u0000${text.field}`;
  if (seen.has(key)) return `"${id}" "${field}" is already on row ${seen.get(key)}`;
  seen.set(key, row);
  const value = tidy(raw);
  if (!value) {
    plan.empty++;
    return undefined;
  }
  if (!doc.has(lang)) {
    return `"${id}" has no ${LANG_NAMES[lang]} version yet: add its "${lang}:" block in ${doc.file('es')} first`;
  }
  if (value === tidy(text.values[lang] ?? '')) {
    plan.unchanged++;
    return undefined;
  }
  const problems = textProblems(doc, text.field, text.es, value, text.limit);
  if (problems.length) return problems.join('; ');
  if (tidy(es) !== tidy(text.es)) plan.sourceChanged.push(row);
  plan.edits.push({ type: 'text', doc, lang, field: text.field, value });
  return undefined;
}

/** What is wrong with a translation of one text, in plain words. */
function textProblems(
  doc: ContentDoc,
  field: string,
  es: string,
  value: string,
  limit: { chars: number; words?: number; why: string },
): string[] {
  const out: string[] = [];
  const want = placeholders(es);
  const have = placeholders(value);
  const lost = want.filter((p) => !have.includes(p));
  const extra = have.filter((p) => !want.includes(p));
  if (lost.length) out.push(`keep ${lost.map((p) => `{{${p}}}`).join(', ')} exactly as in the Spanish text`);
  if (extra.length)
    out.push(`${extra.map((p) => `{{${p}}}`).join(', ')} is not in the Spanish text: remove it`);
  const chars = [...value].length;
  if (chars > limit.chars) {
    out.push(`the ${fieldName(doc, field)} is ${chars} characters; at most ${limit.chars} (${limit.why})`);
  }
  if (limit.words && countWords(value) > limit.words) {
    out.push(
      `the ${fieldName(doc, field)} has ${countWords(value)} words; at most ${limit.words} (${limit.why})`,
    );
  }
  return out;
}

function fieldName(doc: ContentDoc, field: string): string {
  if (doc.kind === 'faq') return field;
  return field.endsWith('.label') ? 'button label' : 'text';
}

/** The errors the content would have with these files changed, checked in a scratch copy. */
function checkWith(root: string, changed: Map<string, string>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'puente-import-'));
  try {
    for (const part of ['flows', 'locales', 'data']) {
      cpSync(join(root, part), join(dir, part), {
        recursive: true,
        filter: (src) => !src.startsWith(join(root, 'data', 'runtime')),
      });
    }
    for (const [file, text] of changed) writeFileSync(join(dir, file), text);
    return readContentFiles(contentPaths(dir))
      .problems.filter((p) => p.severity === 'error')
      .map(formatProblem);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Spreadsheets save with commas, or semicolons where the comma is the decimal mark. */
function guessDelimiter(csv: string): string {
  const first = csv.slice(0, csv.search(/\r?\n/) === -1 ? csv.length : csv.search(/\r?\n/));
  const counts = [',', ';', '\t'].map((d) => [d, first.split(d).length] as const);
  return counts.sort((a, b) => b[1] - a[1])[0]![0];
}

/** Line breaks as "\n", and no blank space around the text. */
function tidy(text: string): string {
  return text.replace(/\r\n?/g, '\n').trim();
}
