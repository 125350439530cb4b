import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { type Dirent, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Problem } from './problems.js';

/**
 * The folders of a content root that staff edit. Everything in them is content, so a new kind of
 * content file (a lexicon, a template list) is watched, checked and kept as last good without code.
 */
export const CONTENT_DIRS = ['flows', 'locales', 'data'] as const;
/** Inside data/, the database and the WhatsApp login live here: they are not content. */
const NOT_CONTENT = ['data/runtime'];
/** Text files only: editors' swap and backup files, and the database, are not content. */
const CONTENT_FILE = /\.(ya?ml|json|md|txt|csv)$/i;
/**
 * Recordings are content too: a new or re-recorded file is checked and served like an edit. They
 * are the only files that are not text, so they count in the version but are never read as text.
 */
const AUDIO_FILE = /^data\/audio\/.+\.ogg$/i;

export function isAudioPath(rel: string): boolean {
  return AUDIO_FILE.test(rel);
}

/** Every content file by its path relative to the root, with "/" separators, in sorted order. */
export type ContentTree = Map<string, Buffer>;

/** Whether a path relative to the content root (with "/") can hold content: folders and text files. */
export function isContentPath(rel: string, isFile: boolean): boolean {
  const parts = rel.split('/');
  if (!rel || parts.some((p) => p.startsWith('.') || p === '')) return false;
  if (!(CONTENT_DIRS as readonly string[]).includes(parts[0]!)) return false;
  if (NOT_CONTENT.some((skip) => rel === skip || rel.startsWith(`${skip}/`))) return false;
  return !isFile || (parts.length > 1 && (CONTENT_FILE.test(rel) || isAudioPath(rel)));
}

export function readContentTree(root: string): ContentTree {
  const found: Array<[string, Buffer]> = [];
  const walk = (rel: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = `${rel}/${entry.name}`;
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const s = statSync(join(root, path));
          isDir = s.isDirectory();
          isFile = s.isFile();
        } catch {
          continue;
        }
      }
      if (isDir && isContentPath(path, false)) walk(path);
      else if (isFile && isContentPath(path, true)) {
        try {
          found.push([path, readFileSync(join(root, path))]);
        } catch {
          // Removed while we read: the watcher sees it and reads the content again.
        }
      }
    }
  };
  for (const dir of CONTENT_DIRS) walk(dir);
  found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return new Map(found);
}

/** A short fingerprint of a whole version of the content: every path and every byte. */
export function contentVersion(tree: ContentTree): string {
  const h = createHash('sha256');
  for (const [path, bytes] of tree) {
    h.update(`${path}\u0000${bytes.length}\u0000`);
    h.update(bytes);
  }
  return h.digest('hex').slice(0, 16);
}

/** A file that is not valid UTF-8 would show people "�": report the first bad line of each. */
export function encodingProblems(tree: ContentTree): Problem[] {
  const problems: Problem[] = [];
  for (const [file, bytes] of tree) {
    if (isAudioPath(file) || isUtf8(bytes)) continue;
    let start = 0;
    for (let line = 1; start <= bytes.length; line++) {
      const nl = bytes.indexOf(0x0a, start);
      const end = nl === -1 ? bytes.length : nl;
      const text = bytes.subarray(start, end);
      if (!isUtf8(text)) {
        const shown = text.toString('utf8');
        const column = shown.indexOf('\uFFFD') + 1 || 1;
        const near = shown.slice(Math.max(0, column - 20), column + 20).trim();
        problems.push({
          severity: 'error',
          file,
          line,
          column,
          code: 'encoding.utf8',
          message: `the file is not valid UTF-8: people would see "�" in "${near}"`,
          hint: 'save the file as UTF-8 (in VS Code: the encoding in the status bar, "Reopen with Encoding" (often Windows 1252), then "Save with Encoding" and UTF-8), and check the accents',
        });
        break;
      }
      if (nl === -1) break;
      start = nl + 1;
    }
  }
  return problems;
}
