import { join } from 'node:path';
import type { Command } from 'commander';
import { ROOT } from '../config/env.js';
import { evaluate, readEvalSet } from '../faq/eval.js';
import { LANGS } from '../text/lang.js';
import { parseExistingFile } from './args.js';
import { fail, openApp, writeJson } from './shared.js';

export const DEFAULT_EVAL_SET = join(ROOT, 'test', 'eval', 'queries.yaml');

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      'measure FAQ search quality on a labelled query set: top-1, top-3 and out-of-scope rejection',
    )
    .option('--set <file>', 'the query set (YAML)', parseExistingFile, DEFAULT_EVAL_SET)
    .option('--json', 'print JSON')
    .option('--misses', 'list the queries that missed')
    .action((opts: { set: string; json?: boolean; misses?: boolean }) => {
      try {
        const app = openApp();
        const report = evaluate(app.bot.current.searcher, readEvalSet(opts.set));
        app.close();
        if (opts.json) return writeJson(report);
        const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(7);
        const rows = [['mode', 'lang', 'queries', 'top-1', 'top-3', 'out-of-scope', 'rejected'].join('\t')];
        for (const [mode, scores] of [
          ['--lang', report.byLang],
          ['auto', report.auto],
        ] as const) {
          for (const l of LANGS) {
            const s = scores[l];
            rows.push(
              [mode, l, s.queries, pct(s.top1), pct(s.top3), s.outOfScope, pct(s.rejection)].join('\t'),
            );
          }
        }
        process.stdout.write(`${rows.join('\n')}\n`);
        if (opts.misses)
          for (const m of report.misses)
            process.stdout.write(`${m.mode}\t${m.lang}\t${m.expect}\t${m.got}\t${m.q}\n`);
      } catch (e) {
        fail(e);
      }
    });
}
