import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../src/config/env.js';

/** A private copy of the repo's content, for tests that break or edit it. */
export function copyContent(): string {
  const dir = mkdtempSync(join(tmpdir(), 'puente-content-'));
  for (const part of [
    'flows',
    'locales',
    'data/faq',
    'data/contacts.yaml',
    'data/safety.yaml',
    'data/smalltalk.yaml',
    'data/templates.yaml',
  ]) {
    cpSync(join(ROOT, part), join(dir, part), { recursive: true });
  }
  return dir;
}
