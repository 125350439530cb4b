import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { contentPaths } from '../src/config/env.js';
import { checkContent } from '../src/content/check.js';
import { applyEdits, writeFiles } from '../src/content/edit.js';
import { reviewStates, staleRows } from '../src/content/review.js';
import { contentDocs } from '../src/content/texts.js';
import { exportCsv, planImport } from '../src/content/translate.js';
import { readContentTree } from '../src/content/tree.js';
import { readContentFiles } from '../src/runtime/content.js';
import type { Lang } from '../src/text/lang.js';
import { cli } from './support/cli.js';
import { copyContent } from './support/content-dir.js';

type Row = Record<string, string>;
type StaleRow = { id: string; lang: string | null; status: string; source: string; file: string };

const readSheet = (csv: string): { header: string[]; rows: string[][] } => {
  const [header, ...rows] = parseCsv(csv, { bom: true }) as string[][];
  return { header: header!, rows };
};
const snapshot = (dir: string) => new Map([...readContentTree(dir)].map(([p, b]) => [p, b.toString('utf8')]));

/** Records a review as `cli content review` does, without a process per call. */
function review(dir: string, id: string, langs: Lang[]): void {
  const doc = contentDocs(readContentFiles(contentPaths(dir))).find((d) => d.id === id)!;
  const states = reviewStates([doc]);
  const edits = langs.map((lang) => ({
    type: 'review' as const,
    doc,
    lang,
    review: { by: 'Reviewer', on: '2026-11-01', source: states.find((s) => s.lang === lang)!.source },
  }));
  writeFiles(dir, applyEdits(dir, edits));
}

/** These tests run the real command line several times each. */
const SLOW = 120_000;

describe('translators’ round-trip and review status', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const content = () => {
    const dir = copyContent();
    dirs.push(dir);
    return dir;
  };

  it(
    'exports one row per text: id, field, the Spanish source, the translation and its status',
    () => {
      const dir = content();
      const out = join(dir, 'ht.csv');
      const r = cli(['content', 'export', '--lang', 'ht', '--out', out], '', { CONTENT_DIR: dir });
      expect(r.status, r.stderr).toBe(0);
      const { header, rows } = readSheet(readFileSync(out, 'utf8'));
      expect(header).toEqual(['id', 'field', 'es', 'ht', 'status']);
      const files = readContentFiles(contentPaths(dir));
      const answer = rows.find((x) => x[0] === 'labor.unpaid-wages' && x[1] === 'answer')!;
      expect(answer[2]).toBe(files.faq.get('labor.unpaid-wages')!.es!.answer.trim());
      expect(answer[3]).toBe(files.faq.get('labor.unpaid-wages')!.ht!.answer.trim());
      expect(answer[4]).toBe('unreviewed');
      const label = rows.find((x) => x[0] === 'flow:main' && x[1] === 'steps.home.options.labor.label')!;
      expect(label.slice(2, 4)).toEqual(['Trabajo y justicia laboral', 'Dwa travay ak jistis']);
      const string = rows.find((x) => x[0] === 'locale:common' && x[1] === 'hint.number')!;
      expect(string[2]).toContain('{{max}}');
      // Every FAQ entry gives its title, question and answer; every row has the five columns.
      expect(rows.filter((x) => x[0] === 'covid.vaccine').map((x) => x[1])).toEqual([
        'title',
        'question',
        'answer',
      ]);
      for (const row of rows) expect(row).toHaveLength(5);
      expect(new Set(rows.map((x) => x[4]))).toEqual(new Set(['unreviewed']));
      // For Excel, a byte-order mark; the import reads the file the same.
      const excel = join(dir, 'en.csv');
      expect(
        cli(['content', 'export', '--lang', 'en', '--bom', '--out', excel], '', { CONTENT_DIR: dir }).status,
      ).toBe(0);
      const bytes = readFileSync(excel, 'utf8');
      expect(bytes.startsWith('\uFEFFid,field,es,en,status\n')).toBe(true);
      expect(planImport(dir, bytes)).toMatchObject({ lang: 'en', errors: [], edits: [] });
    },
    SLOW,
  );

  it(
    'round-trips a Creole change made in a spreadsheet, keeping comments, and marks it not reviewed',
    () => {
      const dir = content();
      // A reviewed entry with a comment: the comment stays, the review goes with the change.
      const faqFile = join(dir, 'data', 'faq', 'labor.unpaid-wages.yaml');
      writeFileSync(faqFile, `# Checked with the labour clinic.\n${readFileSync(faqFile, 'utf8')}`);
      expect(
        cli(['content', 'review', 'labor.unpaid-wages', '--lang', 'ht', '--by', 'Marie'], '', {
          CONTENT_DIR: dir,
        }).status,
      ).toBe(0);
      expect(parseYaml(readFileSync(faqFile, 'utf8')).ht.reviewed).toMatchObject({ by: 'Marie' });
      const out = join(dir, 'ht.csv');
      expect(cli(['content', 'export', '--lang', 'ht', '--out', out], '', { CONTENT_DIR: dir }).status).toBe(
        0,
      );

      // What a spreadsheet does: read, change two cells, save with CRLF line ends and a BOM.
      const { header, rows } = readSheet(readFileSync(out, 'utf8'));
      const reviewed = rows.find((x) => x[0] === 'labor.unpaid-wages' && x[1] === 'answer')!;
      expect(reviewed[4]).toBe('reviewed');
      reviewed[3] = reviewed[3]!.replace('Pwochen etap:', 'Pwochen etap ou:');
      const label = rows.find((x) => x[0] === 'flow:labor' && x[1] === 'steps.topics.options.unpaid.label')!;
      label[3] = 'Yo pa peye m ditou';
      const edited = join(dir, 'ht-edited.csv');
      writeFileSync(edited, `\uFEFF${stringifyCsv([header, ...rows], { record_delimiter: '\r\n' })}`);
      const before = snapshot(dir);

      const r = cli(['content', 'import', edited], '', { CONTENT_DIR: dir });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/imported 2 text\(s\) into 2 file\(s\), marked not reviewed/);

      const after = snapshot(dir);
      const changed = [...after.keys()].filter((f) => after.get(f) !== before.get(f));
      expect(changed.sort()).toEqual(['data/faq/labor.unpaid-wages.yaml', 'flows/labor.yaml']);
      const faqText = after.get('data/faq/labor.unpaid-wages.yaml')!;
      expect(faqText.startsWith('# Checked with the labour clinic.\n')).toBe(true);
      const entry = parseYaml(faqText);
      expect(entry.ht.answer).toContain('Pwochen etap ou:');
      expect(entry.ht.answer.endsWith('\n')).toBe(true);
      expect(entry.ht.reviewed).toBeUndefined();
      expect(faqText).toMatch(/\n {2}answer: \|\n/);
      const flowText = after.get('flows/labor.yaml')!;
      expect(flowText.startsWith('# Work rights and access to labour justice.')).toBe(true);
      expect(flowText).toContain('ht: "Yo pa peye m ditou"');
      // Only the changed lines differ.
      const diff = (a: string, b: string) => a.split('\n').filter((l, i) => b.split('\n')[i] !== l).length;
      expect(diff(before.get('flows/labor.yaml')!, flowText)).toBe(1);

      const report = checkContent(contentPaths(dir));
      expect(report.errors).toBe(0);
      const again = readSheet(exportCsv(readContentFiles(contentPaths(dir)), 'ht')).rows;
      expect(again.find((x) => x[0] === 'labor.unpaid-wages' && x[1] === 'answer')?.slice(3)).toEqual([
        reviewed[3],
        'unreviewed',
      ]);
    },
    SLOW,
  );

  it('checks every row before writing anything, and names each bad row', () => {
    const dir = content();
    const sheet = [
      ['id', 'field', 'es', 'ht', 'status'],
      [
        'flow:main',
        'steps.home.options.labor.label',
        '',
        'Dwa travay ak jistis pou tout travayè migran yo',
        '',
      ],
      ['locale:common', 'hint.number', '', 'Ekri yon nimewo', ''],
      ['labor.no-such-topic', 'answer', '', 'Repons', ''],
      ['labor.unpaid-wages', 'title', '', 'Salè yo pa peye w, kisa pou w fè', ''],
      ['labor.unpaid-wages', 'answer', '', 'mo '.repeat(140), ''],
      ['locale:common', 'hint.faq', '', 'Chwazi {{lang}}', ''],
      ['covid.vaccine', 'keywords', '', 'vaksen', ''],
      ['help.human', 'answer', '', 'Yon repons ki kenbe {{org}} byen.', ''],
    ];
    const file = join(dir, 'bad.csv');
    writeFileSync(file, stringifyCsv(sheet));
    const before = snapshot(dir);
    const r = cli(['content', 'import', file], '', { CONTENT_DIR: dir });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/bad.csv row 2: the button label is 47 characters; at most 40/),
      expect.stringMatching(/bad.csv row 3: keep \{\{max\}\} exactly as in the Spanish text/),
      expect.stringMatching(/bad.csv row 4: there is no text with the id "labor.no-such-topic"/),
      expect.stringMatching(/bad.csv row 5: the title is 32 characters; at most 30/),
      expect.stringMatching(/bad.csv row 6: the answer has 140 words; at most 125/),
      expect.stringMatching(/bad.csv row 7: \{\{lang\}\} is not in the Spanish text/),
      expect.stringMatching(/bad.csv row 8: "covid.vaccine" has no field "keywords"/),
      'Nothing was written: fix the 7 problem(s) above and import again.',
    ]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(snapshot(dir)).toEqual(before);
  });

  it('reads sheets saved with semicolons and empty rows, and takes the language from the header', () => {
    const dir = content();
    const csv = stringifyCsv(
      [
        ['id', 'field', 'es', 'en', 'status'],
        ['locale:common', 'faq.unknown', '', "I couldn't find an answer to that.", ''],
        ['', '', '', '', ''],
      ],
      { delimiter: ';' },
    );
    const plan = planImport(dir, csv);
    expect(plan.errors).toEqual([]);
    expect(plan.lang).toBe('en');
    expect([...plan.files.keys()]).toEqual(['locales/en/common.json']);
    expect(JSON.parse(plan.files.get('locales/en/common.json')!).faq.unknown).toBe(
      "I couldn't find an answer to that.",
    );
  });

  it(
    'says what is wrong with the command in one line, exits 2, and prints no stack trace',
    () => {
      const dir = content();
      const cases: Array<[string[], RegExp]> = [
        [['content', 'export', '--lang', 'fr'], /--lang must be en or ht/],
        [['content', 'export', '--lang', 'es'], /Spanish is the source/],
        [['content', 'export', '--lang', 'ht', '--out', 'ht.xlsx'], /\.csv/],
        [['content', 'export', '--lang', 'ht', '--colour'], /unknown option '--colour'/],
        [['content', 'import'], /missing required argument 'file'/],
        [['content', 'import', join(dir, 'none.csv')], /cannot read .*none.csv/],
        [['content', 'stale', '--lang', 'fr'], /--lang must be es, en or ht/],
        [['content', 'review', 'labor.unpaid-wages', '--lang', 'ht'], /--by is needed/],
        [['content', 'review', 'no.such', '--lang', 'ht', '--by', 'X'], /no text with the id "no.such"/],
      ];
      for (const [args, message] of cases) {
        const r = cli(args, '', { CONTENT_DIR: dir });
        expect(r.status, args.join(' ')).toBe(2);
        expect(r.stderr.trim().split('\n'), args.join(' ')).toEqual([expect.stringMatching(message)]);
      }
    },
    SLOW,
  );

  it(
    'reports stale, never reviewed and overdue texts, in cli check and cli content stale',
    () => {
      const dir = content();
      const env = { CONTENT_DIR: dir };
      review(dir, 'labor.unpaid-wages', ['es', 'en', 'ht']);
      review(dir, 'locale:common', ['ht']);
      const stale = () => staleRows(readContentFiles(contentPaths(dir))) as StaleRow[];
      const of = (rows: StaleRow[], id: string) =>
        rows.filter((r) => r.id === id).map((r) => `${r.lang}:${r.status}`);
      expect(of(stale(), 'labor.unpaid-wages')).toEqual([]);
      expect(of(stale(), 'locale:common')).toEqual(['es:unreviewed', 'en:unreviewed']);
      expect(of(stale(), 'covid.vaccine')).toEqual(['es:unreviewed', 'en:unreviewed', 'ht:unreviewed']);

      // The Spanish changes: every review of it is stale. A review_by date passes: overdue.
      const file = join(dir, 'data', 'faq', 'labor.unpaid-wages.yaml');
      writeFileSync(
        file,
        readFileSync(file, 'utf8')
          .replace('Tienes derecho a que te paguen completo', 'Tienes derecho a que te paguen todo')
          .replace('safety: false', 'safety: false\nreview_by: 2020-01-31'),
      );
      const locale = join(dir, 'locales', 'es', 'common.json');
      writeFileSync(
        locale,
        readFileSync(locale, 'utf8').replace('Escribe un número del 1', 'Escribe un número de 1'),
      );
      const listed = cli(['content', 'stale', '--json'], '', env);
      expect(listed.status).toBe(0);
      const rows = listed.lines[0] as StaleRow[];
      expect(rows).toEqual(stale());
      expect(of(rows, 'labor.unpaid-wages')).toEqual(['null:overdue', 'es:stale', 'en:stale', 'ht:stale']);
      expect(of(rows, 'locale:common')).toEqual(['ht:stale', 'es:unreviewed', 'en:unreviewed']);
      expect(rows.find((r) => r.status === 'overdue' && r.id === 'labor.unpaid-wages')).toMatchObject({
        file: 'data/faq/labor.unpaid-wages.yaml',
      });

      const check = cli(['check', '--json'], '', env);
      expect(check.status).toBe(0);
      const report = check.lines[0] as {
        review: Record<string, number>;
        problems: Array<{ code: string; severity: string; file: string; message: string }>;
      };
      expect(report.review).toMatchObject({ stale: 4, unverified: 5 });
      // Other entries' review_by dates pass with time too.
      expect(report.review.overdue).toBeGreaterThanOrEqual(1);
      const codes = (code: string) => report.problems.filter((p) => p.code === code);
      expect(codes('review.stale').map((p) => p.file)).toEqual([
        'data/faq/labor.unpaid-wages.yaml',
        'data/faq/labor.unpaid-wages.yaml',
        'data/faq/labor.unpaid-wages.yaml',
        'locales/ht/common.json',
      ]);
      expect(
        codes('review.overdue').find((p) => p.file === 'data/faq/labor.unpaid-wages.yaml')?.message,
      ).toContain('2020-01-31');
      expect(
        codes('review.missing').find((p) => p.file === 'data/faq/covid.vaccine.yaml')?.message,
      ).toContain('never been reviewed in es, en, ht');
      expect(codes('contacts.unverified').map((p) => p.message)).toEqual(
        expect.arrayContaining([
          expect.stringContaining('police number 110 of Guatemala'),
          expect.stringContaining('ambulance number 913 of Guyana'),
          expect.stringContaining('police number 104 of Panama'),
        ]),
      );
      for (const p of report.problems) expect(p.severity).toBe('warning');
      const text = cli(['check'], '', env).stdout;
      expect(text).toMatch(
        /review: 4 stale, \d+ never reviewed, \d+ past their review date, 5 contact\(s\) not verified/,
      );
    },
    SLOW,
  );

  it('takes a review written by hand: a fingerprint that does not match is stale, not an error', () => {
    const dir = content();
    const file = join(dir, 'data', 'faq', 'covid.vaccine.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        /\nht:\n/,
        '\nht:\n  reviewed: { by: Ana, on: 2025-01-01, source: abc123 }\n',
      ),
    );
    const report = checkContent(contentPaths(dir));
    expect(report.errors).toBe(0);
    const stale = report.problems.filter((p) => p.code === 'review.stale');
    expect(stale).toEqual([
      expect.objectContaining({ severity: 'warning', file: 'data/faq/covid.vaccine.yaml' }),
    ]);
    expect(stale[0]!.message).toMatch(
      /Haitian Creole \(ht\) text of "covid.vaccine" was reviewed by Ana on 2025-01-01/,
    );
    writeFileSync(file, readFileSync(file, 'utf8').replace('on: 2025-01-01', 'on: 2025-02-30'));
    expect(checkContent(contentPaths(dir)).problems.find((p) => p.severity === 'error')?.message).toMatch(
      /ht.reviewed.on: this day does not exist/,
    );
  });

  it('keeps a locale file’s review out of its strings', () => {
    const dir = content();
    cli(['content', 'review', 'locale:common', '--lang', 'ht', '--by', 'Marie'], '', { CONTENT_DIR: dir });
    const data = JSON.parse(readFileSync(join(dir, 'locales', 'ht', 'common.json'), 'utf8')) as Row & {
      _reviewed: Row;
    };
    expect(Object.keys(data)[0]).toBe('_reviewed');
    expect(data._reviewed).toMatchObject({ by: 'Marie', source: expect.stringMatching(/^[0-9a-f]{8}$/) });
    const files = readContentFiles(contentPaths(dir));
    expect(files.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(files.locales.ht.common?._reviewed).toBeUndefined();
    expect(files.localeReviews.ht.common?.by).toBe('Marie');
  });
});
