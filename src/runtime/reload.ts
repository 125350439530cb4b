import { type FSWatcher, watch } from 'node:fs';
import type { Logger } from 'pino';
import { ContentError, formatProblem } from '../content/problems.js';
import type { Db } from '../store/db.js';
import type { Lang } from '../text/lang.js';
import type { Bot } from './bot.js';
import { type ContentPaths, loadContent } from './content.js';

/** Edits usually come as a burst of writes; wait for the burst to end. */
const SETTLE_MS = 250;

export type Reloader = { reload: () => boolean; close: () => void };

/**
 * Watches flows/, locales/ and the content in data/ and swaps in each valid version of the content.
 * An invalid edit is logged with its file and line, and the last good version keeps serving.
 */
export function watchContent(
  bot: Bot,
  db: Db,
  paths: ContentPaths,
  defaultLang: Lang,
  log: Logger,
  onReload?: (ok: boolean) => void,
): Reloader {
  const reload = (): boolean => {
    try {
      bot.setContent(loadContent(paths, db, defaultLang));
      log.info({ flows: bot.current.flows.size, faq: bot.current.faq.size }, 'content reloaded');
      onReload?.(true);
      return true;
    } catch (e) {
      if (e instanceof ContentError) {
        const errors = e.problems.filter((p) => p.severity === 'error');
        log.error(
          { errors: errors.map(formatProblem) },
          'content change rejected; the last good version keeps serving',
        );
      } else {
        log.error({ err: e }, 'content reload failed; the last good version keeps serving');
      }
      onReload?.(false);
      return false;
    }
  };
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(reload, SETTLE_MS);
  };
  const watchers: FSWatcher[] = [];
  for (const dir of [paths.flows, paths.locales, paths.faq]) {
    try {
      watchers.push(watch(dir, { recursive: true }, schedule));
    } catch (e) {
      log.warn({ dir, err: e }, 'cannot watch this folder; edits there need a restart');
    }
  }
  for (const file of [paths.contacts, paths.safety, paths.smalltalk]) {
    try {
      watchers.push(watch(file, schedule));
    } catch {
      // No such file yet: nothing to watch.
    }
  }
  return {
    reload,
    close: () => {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}
