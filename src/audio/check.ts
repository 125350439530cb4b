import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Problem } from '../content/problems.js';
import type { PathKey, YamlSource } from '../content/yaml.js';
import type { FaqEntry } from '../faq/schema.js';
import type { Flow } from '../flows/schema.js';
import { LANG_NAMES, LANGS, type Lang } from '../text/lang.js';
import { readOggInfo } from './ogg.js';
import { AUDIO_DIR, audioLang, MAX_AUDIO_BYTES, MAX_AUDIO_SECONDS, stepAudioRefs } from './ref.js';

/** The parts of the content that name recordings. */
export type AudioContent = {
  faq: ReadonlyMap<string, FaqEntry>;
  faqSources: ReadonlyMap<string, YamlSource>;
  flows: ReadonlyMap<string, Flow>;
  flowSources: ReadonlyMap<string, YamlSource>;
};

/** One recording named in the content: where it is named, and for which language. */
export type AudioUse = {
  /** An FAQ id, or "<flow>/<step>". */
  owner: string;
  kind: 'faq' | 'step';
  /** The language of the block that names it; null for a step's single file without a language in its name. */
  lang: Lang | null;
  ref: string;
  source?: YamlSource;
  path: PathKey[];
};

export function audioUses(content: AudioContent): AudioUse[] {
  const uses: AudioUse[] = [];
  for (const [id, entry] of content.faq) {
    for (const lang of LANGS) {
      const ref = entry[lang]?.audio;
      if (ref)
        uses.push({
          owner: id,
          kind: 'faq',
          lang,
          ref,
          source: content.faqSources.get(id),
          path: [lang, 'audio'],
        });
    }
  }
  for (const [flowId, flow] of content.flows) {
    for (const [stepId, step] of Object.entries(flow.steps)) {
      if (step.type !== 'message' || !step.audio) continue;
      const single = typeof step.audio === 'string';
      for (const { lang, ref } of stepAudioRefs(step.audio)) {
        uses.push({
          owner: `${flowId}/${stepId}`,
          kind: 'step',
          lang,
          ref,
          source: content.flowSources.get(flowId),
          path: single || !lang ? ['steps', stepId, 'audio'] : ['steps', stepId, 'audio', lang],
        });
      }
    }
  }
  return uses;
}

const HOW =
  'record it on a phone, then convert it: ffmpeg -i in.m4a -c:a libopus -b:a 24k -ac 1 out.ogg (see "Recorded answers" in the README)';

/**
 * Each recording the content names: it exists under data/, it is OGG with an Opus stream, at most
 * two minutes and 1 MB, and its name says the language of the block that names it.
 */
export function audioProblems(content: AudioContent, dataDir: string): Problem[] {
  const problems: Problem[] = [];
  const checked = new Map<string, Omit<Problem, 'file' | 'line' | 'column'> | null>();
  for (const use of audioUses(content)) {
    const at = (code: string, message: string, hint: string): Problem => {
      if (use.source) return use.source.problem(use.path, code, message, hint);
      return { severity: 'error', file: use.owner, line: 1, column: 1, code, message, hint };
    };
    const named = audioLang(use.ref);
    if (use.lang && named !== use.lang) {
      problems.push(
        at(
          'audio.lang',
          `the ${LANG_NAMES[use.lang]} (${use.lang}) block names ${use.ref}, ${named ? `a ${LANG_NAMES[named]} recording` : 'whose name says no language'}`,
          `name the ${use.lang} recording audio/<id>.${use.lang}.ogg, and check that it is the right one`,
        ),
      );
    } else if (!use.lang) {
      problems.push(
        at(
          'audio.lang',
          `${use.ref} does not say its language`,
          'end the file name with .es.ogg, .en.ogg or .ht.ogg, or list one recording per language (es:, en:, ht:)',
        ),
      );
    }
    if (!checked.has(use.ref)) checked.set(use.ref, fileProblem(join(dataDir, use.ref), use.ref));
    const found = checked.get(use.ref);
    if (found) problems.push(at(found.code, found.message, found.hint ?? HOW));
  }
  // A recording put in place but named nowhere is never sent: most likely a forgotten `audio:` line.
  for (const ref of recordingsIn(dataDir)) {
    if (checked.has(ref)) continue;
    problems.push({
      severity: 'warning',
      file: `data/${ref}`,
      line: 1,
      column: 1,
      code: 'audio.unused',
      message: `data/${ref} is not named by any answer or message, so it is never sent`,
      hint: `add "audio: ${ref}" to the language block of its answer (or to its flow message step), or remove the file`,
    });
  }
  return problems;
}

/** The .ogg files under data/audio/, as content names them (relative to data/). */
function recordingsIn(dataDir: string): string[] {
  try {
    return readdirSync(join(dataDir, AUDIO_DIR), { recursive: true, encoding: 'utf8' })
      .filter((f) => /\.ogg$/i.test(f) && !f.split(/[\\/]/).some((part) => part.startsWith('.')))
      .map((f) => `${AUDIO_DIR}/${f.split('\\').join('/')}`)
      .sort();
  } catch {
    return [];
  }
}

function fileProblem(file: string, ref: string): Omit<Problem, 'file' | 'line' | 'column'> | null {
  const error = (code: string, message: string, hint = HOW) => ({
    severity: 'error' as const,
    code,
    message,
    hint,
  });
  let size: number;
  try {
    const s = statSync(file);
    if (!s.isFile()) return error('audio.missing', `data/${ref} is not a file`, 'put the recording there');
    size = s.size;
  } catch {
    return error(
      'audio.missing',
      `data/${ref} does not exist`,
      `put the recording in data/${ref}, or fix the name here (names are case-sensitive)`,
    );
  }
  if (size > MAX_AUDIO_BYTES)
    return error(
      'audio.big',
      `data/${ref} is ${(size / 1024 / 1024).toFixed(1)} MB; a recording may be 1 MB at most`,
      `convert it at a lower bitrate (-b:a 24k) or shorten it: ${HOW}`,
    );
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch {
    return error('audio.missing', `data/${ref} cannot be read`, 'check that the file can be read by the bot');
  }
  const info = readOggInfo(bytes);
  if (!info.ok) return error('audio.format', `data/${ref} cannot be sent as a voice note: ${info.reason}`);
  if (info.seconds > MAX_AUDIO_SECONDS)
    return error(
      'audio.long',
      `data/${ref} lasts ${formatSeconds(info.seconds)}; a recording may last 2 minutes at most`,
      'record a shorter answer: people listen on a phone, often on the move',
    );
  return null;
}

function formatSeconds(s: number): string {
  const whole = Math.round(s);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/** Per language, the FAQ answers and flow messages that have a recording. */
export function audioCoverage(content: AudioContent): Record<Lang, string[]> {
  const out: Record<Lang, string[]> = { es: [], en: [], ht: [] };
  for (const use of audioUses(content)) {
    const lang = use.lang ?? audioLang(use.ref);
    if (lang && !out[lang].includes(use.owner)) out[lang].push(use.owner);
  }
  for (const lang of LANGS) out[lang].sort();
  return out;
}
