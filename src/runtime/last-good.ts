import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { contentPaths } from '../config/env.js';
import { ContentError, formatProblem } from '../content/problems.js';
import type { ContentSnapshot } from '../store/contract.js';
import {
  type Content,
  type ContentKeeper,
  type ContentPaths,
  type ContentSettings,
  loadContent,
} from './content.js';

/**
 * The content for a start: the files on disk, or, when they have errors, the last version that
 * loaded without errors (kept in the database). A broken edit never keeps the bot from starting;
 * only a first start with broken files and no saved version fails, with every file:line error.
 */
export function loadStartContent(
  paths: ContentPaths,
  keeper: ContentKeeper,
  settings: ContentSettings,
  log: Logger,
  lastGood: () => ContentSnapshot | null,
): Content {
  try {
    return loadContent(paths, keeper, settings, 'files', log);
  } catch (e) {
    if (!(e instanceof ContentError)) throw e;
    const snapshot = lastGood();
    if (!snapshot) throw e;
    let content: Content;
    try {
      content = loadSnapshot(snapshot, keeper, settings, log);
    } catch (again) {
      log.error(
        { err: again instanceof Error ? again.message : String(again) },
        'the last good content could not be loaded either',
      );
      throw e;
    }
    const errors = e.problems.filter((p) => p.severity === 'error').map(formatProblem);
    log.error(
      {
        code: 'content.last_good',
        errors,
        version: snapshot.version,
        saved_at: new Date(snapshot.savedAt).toISOString(),
      },
      `THE CONTENT FILES HAVE ${errors.length} ERROR(S): serving the last good version until they are fixed. Run "npm run cli -- check" to see them.`,
    );
    return content;
  }
}

/** Writes the saved files to a temporary folder and loads them through the same loaders. */
export function loadSnapshot(
  snapshot: ContentSnapshot,
  keeper: ContentKeeper,
  settings: ContentSettings,
  log?: Logger,
): Content {
  const dir = mkdtempSync(join(tmpdir(), 'puente-last-good-'));
  try {
    for (const [path, text] of Object.entries(snapshot.files)) {
      // Paths come from our own table, but a path that climbs out of the folder is never written.
      if (path.split('/').some((part) => part === '..' || part === '')) continue;
      const file = join(dir, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
    return loadContent(contentPaths(dir), keeper, settings, 'last-good', log);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
