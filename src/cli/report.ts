import type { Command } from 'commander';
import { loadConfig } from '../config/env.js';
import {
  buildBroadcastReport,
  buildReport,
  parseSince,
  reportToCsv,
  reportToText,
} from '../report/report.js';
import { openDb } from '../store/db.js';
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
    .action((opts: { since?: number; json?: boolean; csv?: boolean }) => {
      try {
        // The default is computed when the command runs, not when the program is built.
        const since = opts.since ?? parseSince('30d');
        const db = openDb(loadConfig().paths.db);
        const report = buildReport(db, since);
        const broadcasts = buildBroadcastReport(db);
        db.close();
        if (opts.json) writeJson(report);
        else if (opts.csv) process.stdout.write(`${reportToCsv(report)}\n`);
        else process.stdout.write(reportToText(report, broadcasts));
      } catch (e) {
        fail(e);
      }
    });
}
