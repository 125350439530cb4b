import type { Command } from 'commander';
import { loadConfig } from '../config/env.js';
import { unansweredQuestions } from '../faq/teach.js';
import { parseSince, reportToCsv, reportToText } from '../report/report.js';
import { openStore } from '../store/open.js';
import { parseSinceArg } from './args.js';
import { fail, writeJson } from './shared.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      'counts for staff: conversations, flows, FAQ feedback, unanswered questions, emergency cards, and (as a table) broadcasts and subscribers; no user identifiers',
    )
    .option('--since <period>', 'a period like 30d, 12h, 2w, or a date', parseSinceArg)
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .option(
      '--unanswered',
      'list the scrubbed unanswered questions with a short id, to teach one to an entry: npm run cli -- faq teach <id> <entry-id>',
    )
    .action(async (opts: { since?: number; json?: boolean; csv?: boolean; unanswered?: boolean }) => {
      try {
        // The default is computed when the command runs, not when the program is built.
        const since = opts.since ?? parseSince('30d');
        const store = await openStore(loadConfig());
        if (opts.unanswered) {
          const questions = await unansweredQuestions(store, since).finally(() => store.close());
          if (opts.json) return writeJson(questions);
          for (const q of questions)
            process.stdout.write(`${q.id}  ${String(q.count).padStart(5)}  [${q.lang}] ${q.query}\n`);
          process.stdout.write(
            `${questions.length} unanswered question(s). Teach one: npm run cli -- faq teach <id> <entry-id>\n`,
          );
          return;
        }
        const [report, broadcasts] = await Promise.all([
          store.report(since),
          store.broadcasts.report(),
        ]).finally(() => store.close());
        if (opts.json) writeJson(report);
        else if (opts.csv) process.stdout.write(`${reportToCsv(report)}\n`);
        else process.stdout.write(reportToText(report, broadcasts));
      } catch (e) {
        fail(e);
      }
    });
}
