import { join } from 'node:path';
import type { Command } from 'commander';
import { ROOT } from '../config/env.js';
import {
  calibrate,
  type EvalQuery,
  type EvalReport,
  evaluate,
  libraryScores,
  readEvalSet,
  type Split,
  split,
} from '../faq/eval.js';
import { LANGS } from '../text/lang.js';
import { parseExistingFile } from './args.js';
import { fail, openApp, writeJson } from './shared.js';

export const DEFAULT_EVAL_SET = join(ROOT, 'test', 'eval', 'queries.yaml');
export const FIRST_EVAL_SET = join(ROOT, 'test', 'eval', 'first-set.yaml');
/** Tuning queries written after the held-out split was fixed: all for tuning, so they never move it. */
export const MORE_TUNING_SET = join(ROOT, 'test', 'eval', 'tuning-extra.yaml');

type Opts = {
  set: string;
  first: string;
  more: string;
  json?: boolean;
  misses?: boolean;
  heldOut?: boolean;
  calibrate?: boolean;
};

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      'measure FAQ search quality: ranked first, answered correctly (top-1), top-3 and out-of-scope refusals, on the held-out and tuning splits and the first set, beside plain MiniSearch and fuse.js',
    )
    .option('--set <file>', 'the query set (YAML)', parseExistingFile, DEFAULT_EVAL_SET)
    .option(
      '--first <file>',
      'the first evaluation set, reported beside it',
      parseExistingFile,
      FIRST_EVAL_SET,
    )
    .option(
      '--more <file>',
      'more tuning queries (YAML), never held out: reported as "more tuning" and used by --calibrate',
      parseExistingFile,
      MORE_TUNING_SET,
    )
    .option('--json', 'print JSON')
    .option('--misses', 'list the queries of the tuning split and of the more tuning queries that missed')
    .option('--held-out', 'with --misses: list the held-out misses too (look, but never tune on them)')
    .option('--calibrate', 'fit the decision to answer on the tuning split and print the thresholds')
    .action((opts: Opts) => {
      try {
        const app = openApp();
        const searcher = app.bot.current.searcher;
        const entries = [...app.bot.current.faq.values()];
        const set = readEvalSet(opts.set);
        const first = readEvalSet(opts.first);
        const more = readEvalSet(opts.more);
        if (opts.calibrate) {
          const fitted = calibrate(searcher, [...split(set, 'tuning'), ...more]);
          app.close();
          return writeJson(fitted);
        }
        const splits: Array<[string, EvalQuery[]]> = [
          ['held-out', split(set, 'held-out')],
          ['tuning', split(set, 'tuning')],
          ['more tuning', more],
          ['first set', first],
        ];
        const reports = splits.map(([name, qs]) => ({ name, queries: qs, report: evaluate(searcher, qs) }));
        const libs = splits.map(([name, qs]) => ({ name, scores: libraryScores(entries, qs) }));
        app.close();
        if (opts.json)
          return writeJson({
            splits: reports.map(({ name, report }) => ({ name, ...report })),
            libraries: libs,
          });
        const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
        const rows: string[][] = [
          [
            'set',
            'mode',
            'lang',
            'queries',
            'mixed',
            'ranked first',
            'answered top-1',
            'top-3',
            'wrong',
            'refused OOS',
          ],
        ];
        for (const { name, queries, report } of reports) {
          for (const [mode, scores] of [
            ['--lang', report.byLang],
            ['auto', report.auto],
          ] as const) {
            for (const l of LANGS) {
              const s = scores[l];
              const mixed = queries.filter((q) => q.lang === l && q.mixed).length;
              rows.push([
                name,
                mode,
                l,
                String(s.queries),
                String(mixed),
                pct(s.rankedFirst),
                pct(s.top1),
                pct(s.top3),
                String(s.wrong),
                `${s.refused}/${s.outOfScope}`,
              ]);
            }
          }
        }
        const side: string[][] = [];
        side.push([
          'set',
          'lang',
          'ours: answered top-1',
          'ours: ranked first',
          'MiniSearch ranked first',
          'fuse.js ranked first',
        ]);
        reports.forEach(({ name, report }, i) => {
          for (const l of LANGS) {
            const lib = libs[i]!.scores;
            side.push([
              name,
              l,
              pct(report.byLang[l].top1),
              pct(report.byLang[l].rankedFirst),
              pct(lib.minisearch[l]),
              pct(lib.fuse[l]),
            ]);
          }
        });
        process.stdout.write(`${table(rows)}\n\n${table(side)}\n`);
        if (opts.misses)
          printMisses(
            [
              ['tuning', reports[1]!.report],
              ['more tuning', reports[2]!.report],
            ],
            reports[0]!.report,
            opts.heldOut === true,
          );
      } catch (e) {
        fail(e);
      }
    });
}

function printMisses(tuning: Array<[string, EvalReport]>, heldOut: EvalReport, showHeldOut: boolean): void {
  const show: Array<[string, EvalReport]> = [...tuning];
  if (showHeldOut) show.push(['held-out' satisfies Split, heldOut]);
  for (const [name, report] of show)
    for (const m of report.misses.filter((x) => x.mode === 'lang'))
      process.stdout.write(`${name}\t${m.lang}\t${m.expect}\t${m.got}\t${m.q}\n`);
}

function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows)
    r.forEach((c, i) => {
      widths[i] = Math.max(widths[i] ?? 0, c.length);
    });
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
