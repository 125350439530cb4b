import { audioCoverage } from '../audio/check.js';
import { MAX_CALLBACK_BYTES } from '../channels/telegram/convert.js';
import { botProfile, profileProblems } from '../channels/telegram/profile.js';
import { contentPaths, ROOT } from '../config/env.js';
import { PAYLOAD_MAX } from '../engine/payload.js';
import { type ContentFiles, type ContentPaths, readContentFiles } from '../runtime/content.js';
import { LANGS, type Lang } from '../text/lang.js';
import type { Problem } from './problems.js';
import { reviewProblems, staleRows, today } from './review.js';
import { MAX_BUTTON_LABEL } from './texts.js';
import type { PathKey } from './yaml.js';

/** Room kept in a deep-link payload for a campaign tag. */
const CAMPAIGN_ROOM = 13;

export type CheckReport = {
  ok: boolean;
  errors: number;
  warnings: number;
  missingStrings: Record<Lang, number>;
  /** Texts whose review is stale, never done or past its date, and contacts not yet confirmed. */
  review: { stale: number; unreviewed: number; overdue: number; unverified: number };
  /** Per language, the FAQ answers (their ids) and flow messages ("<flow>/<step>") that have a recording. */
  audio: Record<Lang, string[]>;
  problems: Problem[];
};

/** Everything staff can get wrong in flows/, locales/ and data/, in one report. */
export function checkContent(paths: ContentPaths, day = today()): CheckReport {
  return checkFiles(readContentFiles(paths), day);
}

/** The same report for content already read. */
export function checkFiles(files: ContentFiles, day = today()): CheckReport {
  const problems = [
    ...files.problems,
    ...limitProblems(files),
    ...profileLimitProblems(files),
    ...reviewProblems(files, day),
  ].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  const missingStrings = Object.fromEntries(
    LANGS.map((l) => [l, problems.filter((p) => p.code === `string.missing.${l}`).length]),
  ) as Record<Lang, number>;
  const errors = problems.filter((p) => p.severity === 'error').length;
  const rows = staleRows(files, day);
  const review = {
    stale: rows.filter((r) => r.status === 'stale').length,
    unreviewed: rows.filter((r) => r.status === 'unreviewed').length,
    overdue: rows.filter((r) => r.status === 'overdue').length,
    unverified: problems.filter((p) => p.code === 'contacts.unverified').length,
  };
  const audio = audioCoverage(files);
  return {
    ok: errors === 0,
    errors,
    warnings: problems.length - errors,
    missingStrings,
    review,
    audio,
    problems,
  };
}

export function checkRepo(): CheckReport {
  return checkContent(contentPaths(ROOT));
}

/** Telegram refuses a bot description or short description over its limits. */
function profileLimitProblems(files: ContentFiles): Problem[] {
  const lookup = (lang: Lang, ns: string, key: string): string => {
    let node: unknown = files.locales[lang][ns];
    for (const part of key.split('.')) node = (node as Record<string, unknown> | undefined)?.[part];
    return typeof node === 'string' ? node : '';
  };
  return profileProblems(botProfile(lookup)).map((p) => {
    return {
      severity: 'error' as const,
      // Locale problems name the file; JSON keeps no positions once parsed.
      file: `locales/${p.lang ?? 'ht'}/common.json`,
      line: 1,
      column: 1,
      code: 'limit.telegram',
      message: p.lang
        ? `the ${p.lang} text "${p.key}" is ${p.length} characters; Telegram allows ${p.max}`
        : `the three "${p.key}" texts together are ${p.length} characters; Telegram allows ${p.max} for people whose app is in another language`,
      hint: 'shorten the text',
    };
  });
}

/** Sizes that only fail on a phone: button labels, callback data and deep-link payloads. */
function limitProblems(files: ContentFiles): Problem[] {
  const problems: Problem[] = [];
  for (const [id, flow] of files.flows) {
    const source = files.flowSources.get(id);
    if (!source) continue;
    const at = (...path: PathKey[]) => source.locate(path, true);
    const push = (
      path: PathKey[],
      severity: Problem['severity'],
      code: string,
      message: string,
      hint: string,
    ) => problems.push({ severity, file: source.file, ...at(...path), code, message, hint });
    const payload = `ht_${id}`;
    if (payload.length > PAYLOAD_MAX) {
      push(
        ['id'],
        'error',
        'limit.payload',
        `a deep link to "${id}" is ${payload.length} characters; Telegram allows ${PAYLOAD_MAX}`,
        'use a shorter flow id',
      );
    } else if (payload.length + CAMPAIGN_ROOM > PAYLOAD_MAX) {
      push(
        ['id'],
        'warning',
        'limit.payload',
        `a deep link to "${id}" leaves little room for a campaign tag`,
        'use a shorter flow id',
      );
    }
    for (const [stepId, step] of Object.entries(flow.steps)) {
      if (step.type !== 'menu') continue;
      step.options.forEach((o, i) => {
        for (const lang of LANGS) {
          const label = o.label[lang];
          if ([...label].length > MAX_BUTTON_LABEL) {
            push(
              ['steps', stepId, 'options', i, 'label', lang],
              'error',
              'limit.label',
              `the ${lang} label "${label}" is ${[...label].length} characters; a Telegram button shows about ${MAX_BUTTON_LABEL}`,
              'shorten the label',
            );
          }
        }
        const full = Buffer.byteLength(`o|${o.id}|${id}|${stepId}`);
        if (Buffer.byteLength(`o|${o.id}`) > MAX_CALLBACK_BYTES) {
          push(
            ['steps', stepId, 'options', i, 'id'],
            'error',
            'limit.callback',
            `the option id "${o.id}" does not fit in Telegram's 64-byte callback data`,
            'use a shorter option id',
          );
        } else if (full > MAX_CALLBACK_BYTES) {
          push(
            ['steps', stepId, 'options', i, 'id'],
            'warning',
            'limit.callback',
            `the button data for "${o.id}" is ${full} bytes; over 64, an old button loses its menu`,
            'use shorter flow, step or option ids',
          );
        }
      });
    }
  }
  return problems;
}
