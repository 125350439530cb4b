import { z } from 'zod';
import { isLang, LANGS, type Lang } from '../text/lang.js';

/** Recordings live in data/audio/; content names them from data/: `audio/<id>.<lang>.ogg`. */
export const AUDIO_DIR = 'audio';

/** Voice notes are short: both apps play longer files, but nobody listens to them on a bus. */
export const MAX_AUDIO_SECONDS = 120;
export const MAX_AUDIO_BYTES = 1024 * 1024;

const PART = '[A-Za-z0-9_-][A-Za-z0-9._-]*';
const AUDIO_REF = new RegExp(`^${AUDIO_DIR}/(?:${PART}/)*${PART}\\.ogg$`);

/** A recording, relative to data/: never outside data/audio/. */
export const AudioRefSchema = z
  .string()
  .trim()
  .regex(AUDIO_REF, 'name the recording as audio/<id>.<lang>.ogg, e.g. audio/labor.unpaid-wages.ht.ogg');

/**
 * A flow message step names one recording (its language read from the file name) or one per
 * language; languages without one are sent as text only.
 */
export const StepAudioSchema = z.union([
  AudioRefSchema,
  z
    .strictObject({
      es: AudioRefSchema.optional(),
      en: AudioRefSchema.optional(),
      ht: AudioRefSchema.optional(),
    })
    .refine((a) => a.es || a.en || a.ht, { message: 'name at least one recording: es, en or ht' }),
]);
export type StepAudio = z.infer<typeof StepAudioSchema>;

/** The language a recording's name says: the part before ".ogg", e.g. "ht" in audio/x.ht.ogg. */
export function audioLang(ref: string): Lang | null {
  const m = /\.([a-z]{2})\.ogg$/.exec(ref);
  return m && isLang(m[1]) ? m[1] : null;
}

/** The recording of a step for one language, or null. */
export function stepAudioFor(audio: StepAudio | undefined, lang: Lang): string | null {
  if (!audio) return null;
  if (typeof audio === 'string') return audioLang(audio) === lang ? audio : null;
  return audio[lang] ?? null;
}

/** Every recording a step names, with the language it is meant for. */
export function stepAudioRefs(audio: StepAudio | undefined): Array<{ lang: Lang | null; ref: string }> {
  if (!audio) return [];
  if (typeof audio === 'string') return [{ lang: audioLang(audio), ref: audio }];
  return LANGS.flatMap((lang) => (audio[lang] ? [{ lang, ref: audio[lang] }] : []));
}
