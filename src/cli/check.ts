import type { Command } from 'commander';
import { loadConfig } from '../config/env.js';
import { checkContent } from '../content/check.js';
import { formatProblem } from '../content/problems.js';
import { LANGS } from '../text/lang.js';
import { fail, writeJson } from './shared.js';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('check flows/, locales/ and data/ together; exits 1 on any error')
    .option('--json', 'print the report as JSON')
    .action((opts: { json?: boolean }) => {
      try {
        const report = checkContent(loadConfig().paths);
        if (opts.json) writeJson(report);
        else {
          for (const p of report.problems) process.stdout.write(`${formatProblem(p)}\n`);
          const missing = LANGS.map((l) => `${l} ${report.missingStrings[l]}`).join(', ');
          const r = report.review;
          process.stdout.write(
            `${report.errors} error(s), ${report.warnings} warning(s); missing strings: ${missing}\n` +
              `review: ${r.stale} stale, ${r.unreviewed} never reviewed, ${r.overdue} past their review date, ${r.unverified} contact(s) not verified (details: npm run cli -- content stale)\n`,
          );
          const recorded = LANGS.map((l) => {
            const ids = report.audio[l];
            return `  ${l}: ${ids.length ? `${ids.length} (${ids.join(', ')})` : 'none'}`;
          });
          process.stdout.write(`recorded answers (audio):\n${recorded.join('\n')}\n`);
          if (report.ok) process.stdout.write('The content is ready to serve.\n');
        }
        process.exitCode = report.ok ? 0 : 1;
      } catch (e) {
        fail(e);
      }
    });
}
