import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, join, resolve, sep } from 'node:path';
import { AUDIO_DIR, AudioRefSchema } from './ref.js';

/** A recording read for sending: its bytes, and the hash uploads are remembered by. */
export type Recording = { file: string; name: string; bytes: Buffer; sha256: string };

/** Where a recording named in the content is, under the content's data/ folder; never outside data/audio/. */
export function recordingPath(dataDir: string, ref: string): string {
  const checked = AudioRefSchema.parse(ref);
  const dir = resolve(dataDir, AUDIO_DIR);
  const file = resolve(dataDir, checked);
  if (!file.startsWith(dir + sep)) throw new Error(`${ref} is outside ${AUDIO_DIR}/`);
  return file;
}

/** Reads a recording at send time: a file replaced since the content was checked is sent as it is now. */
export function readRecording(dataDir: string, ref: string): Recording {
  const file = recordingPath(dataDir, ref);
  const bytes = readFileSync(file);
  return { file, name: basename(file), bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** The data/ folder of a content root, where recordings are named from. */
export function dataDirOf(root: string): string {
  return join(root, 'data');
}
