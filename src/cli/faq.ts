import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { loadConfig } from '../config/env.js';
import { formatProblem } from '../content/problems.js';
import { TeachError, teach, unansweredQuestions } from '../faq/teach.js';
import { readContentFiles } from '../runtime/content.js';
import { openStore } from '../store/open.js';
import { LANGS, type Lang } from '../text/lang.js';
import { langOption } from './args.js';
import { fail, openApp, writeJson } from './shared.js';

export function registerFaq(program: Command): void {
  const faq = program
    .command('faq')
    .description('the FAQ store: search, import, list, show and check entries');

  faq
    .command('search')
    .description('search the FAQ; without a query, reads one query per line from stdin')
    .argument('[query]', 'what a user might write')
    .addOption(langOption('the language of the queries, or auto to detect it', ['auto']).default('auto'))
    .option('--json', 'print one JSON line per query')
    .action(async (query: string | undefined, opts: { lang: Lang | 'auto'; json?: boolean }) => {
      try {
        const lang = opts.lang;
        const app = openApp();
        const searcher = app.bot.current.searcher;
        const answer = (q: string) => {
          const r = searcher.search(q, lang);
          const out = {
            query: q,
            lang: r.lang,
            answered: r.answered,
            results: r.results.map((x) => ({ id: x.id, score: x.score, title: x.title })),
          };
          if (opts.json) writeJson(out);
          else {
            process.stdout.write(`${q}  [${r.lang}] ${r.answered ? 'answered' : 'not answered'}\n`);
            for (const x of out.results)
              process.stdout.write(`  ${x.score.toFixed(3)}  ${x.id}  ${x.title}\n`);
          }
        };
        if (query !== undefined) answer(query);
        else
          for await (const line of createInterface({
            input: process.stdin,
            crlfDelay: Number.POSITIVE_INFINITY,
          }))
            answer(line);
        app.close();
      } catch (e) {
        fail(e);
      }
    });

  faq
    .command('teach')
    .description(
      'add an unanswered question (its id from: npm run cli -- report --unanswered) as a phrasing of an entry, in its language, marked learned: true for review',
    )
    .argument('<question-id>', 'the short id of the question in report --unanswered')
    .argument('<entry-id>', 'the entry that answers it, e.g. labor.unpaid-wages')
    .option('--json', 'print JSON')
    .action(async (questionId: string, entryId: string, opts: { json?: boolean }) => {
      try {
        const config = loadConfig();
        const store = await openStore(config);
        const matches = (await unansweredQuestions(store).finally(() => store.close())).filter((q) =>
          q.id.startsWith(questionId.trim().toLowerCase()),
        );
        if (matches.length === 0)
          throw new TeachError(
            `no unanswered question has the id "${questionId}"; list them with: npm run cli -- report --unanswered`,
          );
        if (matches.length > 1)
          throw new TeachError(`the id "${questionId}" fits ${matches.length} questions: give more of it`);
        const q = matches[0]!;
        const taught = teach(config.paths.faq, entryId, q.lang, q.query);
        if (opts.json) return writeJson({ question: q.id, entry: entryId, ...taught });
        process.stdout.write(
          taught.added
            ? `Added "${taught.phrasing}" to ${entryId} (${taught.lang}), marked learned: true.\nA reviewer checks it and removes the mark; until then npm run cli -- check warns about it.\n`
            : `"${taught.phrasing}" is already a phrasing of ${entryId} (${taught.lang}).\n`,
        );
      } catch (e) {
        if (e instanceof TeachError) {
          process.stderr.write(`error: ${e.message}\n`);
          process.exitCode = 1;
          return;
        }
        fail(e);
      }
    });

  faq
    .command('import')
    .description(
      'check data/faq/ and copy it into the database (the bot also does this at start and on change)',
    )
    .action(async () => {
      try {
        const config = loadConfig();
        const files = readContentFiles(config.paths);
        const errors = files.problems.filter((p) => p.severity === 'error' && p.file.includes('faq'));
        if (errors.length) {
          process.stderr.write(`${errors.map(formatProblem).join('\n')}\n`);
          process.exit(1);
        }
        const store = await openStore(config);
        const report = await store.importFaq(files.faq.values()).finally(() => store.close());
        process.stdout.write(
          `imported ${files.faq.size} entries: ${report.added} added, ${report.updated} updated, ${report.removed} removed, ${report.unchanged} unchanged\n`,
        );
      } catch (e) {
        fail(e);
      }
    });

  faq
    .command('list')
    .description('list the entries: id and title')
    .addOption(langOption('the language of the titles').default('es'))
    .option('--json', 'print JSON')
    .action((opts: { lang: Lang; json?: boolean }) => {
      try {
        const lang = opts.lang;
        const files = readContentFiles(loadConfig().paths);
        const rows = [...files.faq.values()].map((e) => ({
          id: e.id,
          title: e[lang]?.title ?? null,
          missing: !e[lang],
        }));
        if (opts.json) writeJson(rows);
        else
          for (const r of rows)
            process.stdout.write(`${r.id.padEnd(34)} ${r.title ?? `(no ${lang} version)`}\n`);
      } catch (e) {
        fail(e);
      }
    });

  faq
    .command('show')
    .description('show one entry')
    .argument('<id>', 'the entry id, e.g. labor.unpaid-wages')
    .addOption(langOption('one language; all three when omitted'))
    .option('--json', 'print JSON')
    .action((id: string, opts: { lang?: Lang; json?: boolean }) => {
      try {
        const files = readContentFiles(loadConfig().paths);
        const entry = files.faq.get(id);
        if (!entry) {
          process.stderr.write(`There is no FAQ entry "${id}". See: npm run cli -- faq list\n`);
          process.exit(1);
        }
        const langs = opts.lang ? [opts.lang] : LANGS;
        if (opts.json) {
          writeJson({
            id: entry.id,
            related: entry.related,
            safety: entry.safety,
            ...Object.fromEntries(langs.map((l) => [l, entry[l] ?? null])),
          });
          return;
        }
        for (const l of langs) {
          const t = entry[l];
          process.stdout.write(
            `\n[${l}] ${t ? `${t.title}\n${t.question}\n\n${t.answer}\n` : '(missing)\n'}`,
          );
        }
        process.stdout.write(`\nrelated: ${entry.related.join(', ')}\n`);
      } catch (e) {
        fail(e);
      }
    });

  faq
    .command('check')
    .description('check every FAQ file and data/contacts.yaml; exits 1 on any problem')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => {
      try {
        const files = readContentFiles(loadConfig().paths);
        const problems = files.problems.filter((p) => p.file.startsWith('data/'));
        const missing = Object.fromEntries(
          LANGS.map((l) => [l, [...files.faq.values()].filter((e) => !e[l]).length]),
        );
        if (opts.json) writeJson({ entries: files.faq.size, missing, problems });
        else {
          for (const p of problems) process.stdout.write(`${formatProblem(p)}\n`);
          process.stdout.write(
            `${files.faq.size} entries; missing translations: ${LANGS.map((l) => `${l} ${missing[l]}`).join(', ')}; ${problems.length} problem(s)\n`,
          );
        }
        process.exitCode = problems.length ? 1 : 0;
      } catch (e) {
        fail(e);
      }
    });
}
