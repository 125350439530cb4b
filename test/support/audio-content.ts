import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../src/config/env.js';
import { copyContent } from './content-dir.js';

/** A 1.5-second 440 Hz tone, OGG/Opus, made once with ffmpeg (see test/fixtures/audio/README.md). */
export const TONE = join(ROOT, 'test', 'fixtures', 'audio', 'tone.ogg');

export const UNPAID = 'labor.unpaid-wages';

/** Names a recording in one language block of an FAQ file (`audio:` as the block's first key). */
export function nameFaqAudio(dir: string, id: string, lang: string, ref: string): void {
  const file = join(dir, 'data', 'faq', `${id}.yaml`);
  const text = readFileSync(file, 'utf8');
  const next = text.replace(new RegExp(`^${lang}:\\n`, 'm'), `${lang}:\n  audio: ${ref}\n`);
  if (next === text) throw new Error(`no ${lang} block in ${file}`);
  writeFileSync(file, next);
}

export function putRecording(dir: string, ref: string, bytes: Buffer = readFileSync(TONE)): string {
  const file = join(dir, 'data', ref);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, bytes);
  return file;
}

/**
 * A copy of the content where "unpaid wages" is recorded in Creole and Spanish, and the first
 * message of the trafficking flow in Creole.
 */
export function contentWithAudio(): string {
  const dir = copyContent();
  for (const lang of ['ht', 'es']) {
    const ref = `audio/${UNPAID}.${lang}.ogg`;
    nameFaqAudio(dir, UNPAID, lang, ref);
    putRecording(dir, ref);
  }
  const flow = join(dir, 'flows', 'trafficking.yaml');
  const text = readFileSync(flow, 'utf8');
  const next = text.replace(
    '  safety:\n    type: message\n',
    '  safety:\n    type: message\n    audio: { ht: audio/trafficking.safety.ht.ogg }\n',
  );
  if (next === text) throw new Error('the trafficking flow changed: update contentWithAudio');
  writeFileSync(flow, next);
  mkdirSync(join(dir, 'data', 'audio'), { recursive: true });
  copyFileSync(TONE, join(dir, 'data', 'audio', 'trafficking.safety.ht.ogg'));
  return dir;
}
