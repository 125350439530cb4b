import { type FSWatcher as DirWatcher, readdirSync, watch as watchDir } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import type { Logger } from 'pino';
import { ContentError, formatProblem } from '../content/problems.js';
import { CONTENT_DIRS, contentVersion, isContentPath, readContentTree } from '../content/tree.js';
import type { Bot } from './bot.js';
import { type ContentKeeper, type ContentPaths, type ContentSettings, loadContent } from './content.js';

/** Edits usually come as a burst of writes (a save, a checkout); wait for the burst to end. */
const SETTLE_MS = 250;

export type Reloader = {
  reload: () => boolean;
  /** Resolves once the folders are watched, so that no edit made after it is missed. */
  ready: Promise<void>;
  close: () => Promise<void>;
};

/**
 * Watches flows/, locales/ and data/ (not data/runtime) and swaps in each valid version of the
 * content. Every reload is logged, with the files that changed; an invalid edit is logged with
 * its file and line, and the last good version keeps serving.
 *
 * chokidar follows files saved by write-then-rename and folders created or removed. A folder
 * replaced by another in one quick swap (`mv flows flows.old && mv flows.new flows`, some
 * checkouts) keeps the same name, so chokidar goes on watching the old folder under its new name.
 * Each watched folder's parent is therefore watched too, and a rename of the folder re-arms
 * the whole watch and reloads.
 */
export function watchContent(
  bot: Bot,
  keeper: ContentKeeper,
  paths: ContentPaths,
  settings: ContentSettings,
  log: Logger,
  onReload?: (ok: boolean) => void,
): Reloader {
  let changed = new Set<string>();
  const reload = (): boolean => {
    const files = [...changed].sort();
    changed = new Set();
    try {
      const content = loadContent(paths, keeper, settings, 'files', log);
      bot.setContent(content);
      log.info(
        {
          code: 'content.reloaded',
          version: content.version,
          files,
          flows: content.flows.size,
          faq: content.faq.size,
        },
        'content reloaded',
      );
      onReload?.(true);
      return true;
    } catch (e) {
      if (e instanceof ContentError) {
        const errors = e.problems.filter((p) => p.severity === 'error');
        log.error(
          { code: 'content.rejected', files, errors: errors.map(formatProblem) },
          'content change rejected; the last good version keeps serving',
        );
      } else {
        log.error(
          { code: 'content.reload_failed', files, err: e instanceof Error ? e.message : String(e) },
          'content reload failed; the last good version keeps serving',
        );
      }
      onReload?.(false);
      return false;
    }
  };

  const rel = (path: string) => relative(paths.root, path).split(sep).join('/');
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const settle = (what: () => void) => {
    clearTimeout(timer);
    timer = setTimeout(what, SETTLE_MS);
  };

  let files: FSWatcher | undefined;
  let sentinels: DirWatcher[] = [];
  let rearming = false;
  let foldersChanged = false;

  const arm = (): Promise<void> => {
    const watcher = watch(paths.root, {
      ignoreInitial: true,
      // Only content: other folders of the root (node_modules, .git), data/runtime with the
      // database, hidden files and editors' swap files are never watched.
      ignored: (path, stats) => {
        const r = rel(path);
        return r !== '' && !isContentPath(r, stats ? stats.isFile() : false);
      },
    });
    watcher.on('all', (event, path) => {
      if (closed) return;
      changed.add(rel(path));
      if (event === 'addDir' || event === 'unlinkDir') foldersChanged = true;
      if (rearming) return;
      settle(() => {
        reload();
        // A folder created since the watch began gets its own guard against swaps.
        if (foldersChanged && !closed && !rearming) guardFolders();
      });
    });
    watcher.on('error', (e) => {
      log.error(
        { code: 'content.watch', err: e instanceof Error ? e.message : String(e) },
        'watching content failed',
      );
    });
    files = watcher;
    guardFolders();
    return new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  };

  const unguard = () => {
    for (const s of sentinels) s.close();
    sentinels = [];
  };

  const guardFolders = () => {
    unguard();
    foldersChanged = false;
    sentinels = watchParents(paths.root, (dir) => {
      if (closed) return;
      changed.add(`${rel(dir)}/`);
      rearming = true;
      settle(() => void rearm());
    });
  };

  const disarm = async () => {
    unguard();
    await files?.close();
  };

  const rearm = async () => {
    await disarm();
    if (closed) return;
    await arm();
    rearming = false;
    if (closed) return;
    log.info({ code: 'content.watch_rearmed' }, 'a content folder was replaced; watching the new one');
    reload();
  };

  // An edit saved while the watch was starting is not an event: compare what is on disk.
  const ready = arm().then(() => {
    if (!closed && contentVersion(readContentTree(paths.root)) !== bot.current.version) settle(reload);
  });
  return {
    reload,
    ready,
    close: async () => {
      closed = true;
      clearTimeout(timer);
      await disarm();
    },
  };
}

/**
 * Watches the parent of every content folder for a rename of that folder: the sign of a folder
 * swapped for another of the same name.
 */
function watchParents(root: string, onSwap: (dir: string) => void): DirWatcher[] {
  const dirs = contentDirs(root);
  const byParent = new Map<string, Set<string>>();
  for (const dir of dirs) {
    const parent = dirname(dir);
    const names = byParent.get(parent) ?? byParent.set(parent, new Set()).get(parent)!;
    names.add(basename(dir));
  }
  const watchers: DirWatcher[] = [];
  for (const [parent, names] of byParent) {
    try {
      const w = watchDir(parent, (event, name) => {
        if (event === 'rename' && (name === null || names.has(String(name))))
          onSwap(join(parent, String(name)));
      });
      w.on('error', () => w.close());
      watchers.push(w);
    } catch {
      // The parent went away meanwhile: the next re-arm or reload sees the new layout.
    }
  }
  return watchers;
}

/** The content folders that exist now, the top ones (flows/, locales/, data/) included. */
function contentDirs(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    out.push(join(root, rel));
    let entries: string[] = [];
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      return;
    }
    for (const name of entries) if (isContentPath(`${rel}/${name}`, false)) walk(`${rel}/${name}`);
  };
  for (const top of CONTENT_DIRS) walk(top);
  return out;
}
