import type { Command } from 'commander';
import { loadConfig } from '../config/env.js';
import { unansweredQuestions } from '../faq/teach.js';
import { buildReport, parseSince, reportToCsv, reportToText } from '../report/report.js';
import { openDb } from '../store/db.js';
import { parseSinceArg } from './args.js';
import { fail, writeJson } from './shared.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      'counts for staff: conversations, flows, FAQ feedback, unanswered questions and emergency cards; no user identifiers',
    )
    .option('--since <period>', 'a period like 30d, 12h, 2w, or a date', parseSinceArg)
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .option(
      '--unanswered',
      'list the scrubbed unanswered questions with a short id, to teach one to an entry: npm run cli -- faq teach <id> <entry-id>',
    )
    .action((opts: { since?: number; json?: boolean; csv?: boolean; unanswered?: boolean }) => {
      try {
        // The default is computed when the command runs, not when the program is built.
        const since = opts.since ?? parseSince('30d');
        const db = openDb(loadConfig().paths.db);
        if (opts.unanswered) {
          const questions = unansweredQuestions(db, since);
          db.close();
          if (opts.json) return writeJson(questions);
          for (const q of questions)
            process.stdout.write(`${q.id}  ${String(q.count).padStart(5)}  [${q.lang}] ${q.query}\n`);
          process.stdout.write(
            `${questions.length} unanswered question(s). Teach one: npm run cli -- faq teach <id> <entry-id>\n`,
          );
          return;
        }
        const report = buildReport(db, since);
        db.close();
        if (opts.json) writeJson(report);
        else if (opts.csv) process.stdout.write(`${reportToCsv(report)}\n`);
        else process.stdout.write(reportToText(report));
      } catch (e) {
        fail(e);
      }
    });
}
