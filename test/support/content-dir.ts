import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { ROOT } from '../../src/config/env.js';

/** A private copy of the repo's content (flows/, locales/, data/ without data/runtime), for tests that edit it. */
export function copyContent(): string {
  const dir = mkdtempSync(join(tmpdir(), 'puente-content-'));
  const runtime = join(ROOT, 'data', 'runtime');
  for (const part of ['flows', 'locales', 'data']) {
    cpSync(join(ROOT, part), join(dir, part), {
      recursive: true,
      filter: (src) => src !== runtime && !src.startsWith(runtime + sep),
    });
  }
  return dir;
}
