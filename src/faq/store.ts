import { createHash } from 'node:crypto';
import type { Db } from '../store/sqlite/db.js';
import { type FaqEntry, FaqEntrySchema } from './schema.js';

export type ImportReport = { added: number; updated: number; removed: number; unchanged: number };

/**
 * Copies the FAQ files into SQLite. Idempotent: the same files give the same rows,
 * and an entry whose file was removed is removed.
 */
export function importFaq(db: Db, entries: Iterable<FaqEntry>): ImportReport {
  const report: ImportReport = { added: 0, updated: 0, removed: 0, unchanged: 0 };
  const existing = new Map(
    (db.prepare('SELECT id, hash FROM faq_entries').all() as Array<{ id: string; hash: string }>).map((r) => [
      r.id,
      r.hash,
    ]),
  );
  const upsert = db.prepare(
    'INSERT INTO faq_entries (id, data, hash) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET data = excluded.data, hash = excluded.hash',
  );
  const remove = db.prepare('DELETE FROM faq_entries WHERE id = ?');
  db.transaction(() => {
    const seen = new Set<string>();
    for (const entry of entries) {
      seen.add(entry.id);
      const data = JSON.stringify(entry);
      const hash = createHash('sha256').update(data).digest('hex');
      const old = existing.get(entry.id);
      if (old === hash) {
        report.unchanged++;
        continue;
      }
      upsert.run(entry.id, data, hash);
      if (old === undefined) report.added++;
      else report.updated++;
    }
    for (const id of existing.keys()) {
      if (!seen.has(id)) {
        remove.run(id);
        report.removed++;
      }
    }
  })();
  return report;
}

export function readFaq(db: Db): Map<string, FaqEntry> {
  const rows = db.prepare('SELECT data FROM faq_entries ORDER BY id').all() as Array<{ data: string }>;
  const out = new Map<string, FaqEntry>();
  for (const row of rows) {
    const entry = FaqEntrySchema.parse(JSON.parse(row.data));
    out.set(entry.id, entry);
  }
  return out;
}
