import { isUtf8 } from 'node:buffer';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/env.js';
import { applyEdits, writeFiles } from '../content/edit.js';
import { reviewStates, type StaleRow, staleRows, today } from '../content/review.js';
import { contentDocs } from '../content/texts.js';
import { exportCsv, exportRows, planImport, TARGET_LANGS, type TargetLang } from '../content/translate.js';
import { readContentFiles } from '../runtime/content.js';
import { isLang, type Lang } from '../text/lang.js';
import { usageError } from './args.js';
import { fail, writeJson } from './shared.js';

/** `npm run` starts in the repository root; a file named on the command line is where the user was. */
function userPath(file: string): string {
  return resolve(process.env.INIT_CWD ?? process.cwd(), file);
}

/** A mistake in how the command was called: one line, exit 2, no stack trace. */
function usage(message: string): never {
  return usageError(message);
}

function run(action: () => void): void {
  try {
    action();
  } catch (e) {
    fail(e);
  }
}

function targetLang(value: string | undefined, flag = '--lang'): TargetLang {
  if (!value) usage(`${flag} is needed: en or ht`);
  if (value === 'es') usage(`${flag} es: Spanish is the source text; translate into en or ht`);
  if (!(TARGET_LANGS as readonly string[]).includes(value)) usage(`${flag} must be en or ht, not "${value}"`);
  return value as TargetLang;
}

export function registerContent(program: Command): void {
  const content = program
    .command('content')
    .description('review status and the translators’ round-trip for flows, FAQ entries and strings');

  content
    .command('stale')
    .description('list texts that are stale, never reviewed, missing, or past their review date')
    .option('--lang <lang>', 'only this language (es, en or ht)')
    .option('--json', 'print the list as JSON')
    .action((opts: { lang?: string; json?: boolean }) =>
      run(() => {
        if (opts.lang !== undefined && !isLang(opts.lang))
          usage(`--lang must be es, en or ht, not "${opts.lang}"`);
        const files = readContentFiles(loadConfig().paths);
        const rows = staleRows(files).filter((r) => !opts.lang || r.lang === opts.lang || r.lang === null);
        if (opts.json) return writeJson(rows);
        for (const r of rows) process.stdout.write(`${formatRow(r)}\n`);
        const count = (s: StaleRow['status']) => rows.filter((r) => r.status === s).length;
        process.stdout.write(
          `${count('stale')} stale, ${count('unreviewed')} never reviewed, ${count('missing')} missing, ${count('overdue')} past their review date\n`,
        );
      }),
    );

  content
    .command('export')
    .description(
      'write a sheet for translators: one row per text with its id, field, Spanish source, translation and status',
    )
    .option('--lang <lang>', 'the language to translate into: en or ht')
    .option('--out <file>', 'the .csv file to write (default: print it)')
    .option(
      '--bom',
      'start the file with a byte-order mark, so that Excel shows accents right when it opens it',
    )
    .action((opts: { lang?: string; out?: string; bom?: boolean }) =>
      run(() => {
        const lang = targetLang(opts.lang);
        if (opts.out !== undefined && !/\.csv$/i.test(opts.out))
          usage(`--out must name a .csv file, not "${opts.out}"`);
        const files = readContentFiles(loadConfig().paths);
        const csv = `${opts.bom ? '\uFEFF' : ''}${exportCsv(files, lang)}`;
        if (!opts.out) return void process.stdout.write(csv);
        writeFileSync(userPath(opts.out), csv);
        process.stdout.write(`wrote ${exportRows(files, lang).length} texts to ${opts.out}\n`);
      }),
    );

  content
    .command('import')
    .description(
      'read a translators’ sheet back: every row is checked first, and nothing is written if one is wrong',
    )
    .argument('<file>', 'the .csv file, as "content export" wrote it and a spreadsheet saved it')
    .option('--lang <lang>', 'the language of the sheet, when its header does not say it')
    .action((file: string, opts: { lang?: string }) =>
      run(() => {
        if (opts.lang !== undefined) targetLang(opts.lang);
        let bytes: Buffer;
        try {
          bytes = readFileSync(userPath(file));
        } catch {
          usage(`cannot read ${file}: check the path`);
        }
        if (!isUtf8(bytes)) {
          process.stderr.write(`${file}: the file is not UTF-8; in the spreadsheet, save as "CSV UTF-8"\n`);
          process.exit(1);
        }
        const root = loadConfig().paths.root;
        const plan = planImport(root, bytes.toString('utf8'), opts.lang);
        if (plan.errors.length) {
          for (const e of plan.errors)
            process.stderr.write(`${e.row ? `${file} row ${e.row}` : file}: ${e.message}\n`);
          process.stderr.write(
            `Nothing was written: fix the ${plan.errors.length} problem(s) above and import again.\n`,
          );
          process.exit(1);
        }
        writeFiles(root, plan.files);
        for (const row of plan.sourceChanged) {
          process.stdout.write(
            `${file} row ${row}: the Spanish text changed after the export; the translation was imported, check it against the new text\n`,
          );
        }
        process.stdout.write(
          `imported ${plan.edits.length} text(s) into ${plan.files.size} file(s), marked not reviewed; ${plan.unchanged} unchanged, ${plan.empty} empty (left as they were)\n`,
        );
      }),
    );

  content
    .command('review')
    .description('record that a reviewer checked a text against the current Spanish text')
    .argument('<id>', 'the id, as "content stale" shows it: labor.unpaid-wages, flow:labor, locale:common')
    .option('--lang <lang>', 'the language reviewed: es, en or ht')
    .option('--by <name>', 'who reviewed it')
    .option('--on <date>', 'the day of the review, YYYY-MM-DD (default: today)')
    .action((id: string, opts: { lang?: string; by?: string; on?: string }) =>
      run(() => {
        if (!opts.lang || !isLang(opts.lang)) usage('--lang is needed: es, en or ht');
        const lang: Lang = opts.lang;
        if (!opts.by?.trim()) usage('--by is needed: the name of the reviewer');
        const on = opts.on ?? today();
        if (!/^\d{4}-\d{2}-\d{2}$/.test(on)) usage(`--on must be a date as YYYY-MM-DD, not "${on}"`);
        const config = loadConfig();
        const files = readContentFiles(config.paths);
        const doc = contentDocs(files).find((d) => d.id === id);
        if (!doc) usage(`there is no text with the id "${id}"; see: npm run cli -- content stale`);
        const state = reviewStates([doc]).find((s) => s.lang === lang)!;
        if (state.status === 'missing') usage(`"${id}" has no complete ${lang} text to review yet`);
        const changed = applyEdits(config.paths.root, [
          { type: 'review', doc, lang, review: { by: opts.by.trim(), on, source: state.source } },
        ]);
        writeFiles(config.paths.root, changed);
        process.stdout.write(`recorded: ${id} (${lang}) reviewed by ${opts.by.trim()} on ${on}\n`);
      }),
    );
}

function formatRow(r: StaleRow): string {
  const where = `${r.file}:${r.line}`;
  const what =
    r.status === 'overdue'
      ? `review by ${r.review_by}`
      : r.status === 'stale' && r.reviewed
        ? `reviewed by ${r.reviewed.by} on ${r.reviewed.on}; the Spanish text changed since (now ${r.source})`
        : r.status === 'missing'
          ? 'no text yet'
          : `never reviewed (Spanish ${r.source})`;
  return `${r.status.padEnd(10)} ${(r.lang ?? '-').padEnd(2)} ${r.id.padEnd(34)} ${where.padEnd(44)} ${what}`;
}
