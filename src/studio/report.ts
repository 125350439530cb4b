import {
  buildReport,
  conversationsPerDay,
  parseSince,
  type Report,
  reportToCsv,
  rowsToCsv,
} from '../report/report.js';
import { type Db, openReadOnly } from '../store/sqlite/db.js';

type Rows = Array<Record<string, unknown>>;

/**
 * The sections of the studio's Report tab, in the order shown: what each reads and the
 * columns of its CSV. A new kind of count (handoffs, say) is one more entry here
 * and one more renderer in the page.
 */
const SECTIONS: Record<string, { columns: string[]; read: (db: Db, since: number, base: Report) => Rows }> = {
  daily: { columns: ['day', 'lang', 'count'], read: (db, since) => conversationsPerDay(db, since) },
  safety: { columns: ['day', 'lang', 'count'], read: (_db, _s, r) => r.safety },
  voice: { columns: ['day', 'lang', 'count'], read: (_db, _s, r) => r.voice },
  conversations: { columns: ['channel', 'lang', 'campaign', 'count'], read: (_db, _s, r) => r.conversations },
  campaigns: { columns: ['campaign', 'count'], read: (_db, _s, r) => campaigns(r) },
  flows: { columns: ['flow', 'started', 'completed'], read: (_db, _s, r) => r.flows },
  faq: { columns: ['id', 'shown', 'helpful', 'notHelpful'], read: (_db, _s, r) => r.faq },
  unanswered: { columns: ['query', 'lang', 'count'], read: (_db, _s, r) => r.unanswered },
  handoffs: {
    columns: ['day', 'opened', 'answeredWithinHour', 'closed'],
    read: (_db, _s, r) => r.handoffs ?? [],
  },
};
/** Sections shown only when the bot has something of theirs: a bot without a staff inbox has no handoffs. */
const WHEN_USED = new Set(['handoffs']);
export const REPORT_SECTIONS = Object.keys(SECTIONS);

export type StudioReport = {
  since: string;
  /** False until the bot has created its database: nothing to count yet. */
  database: boolean;
  sections: Record<string, Rows>;
};

/** "30d" and the like, or a date; null when it is neither. */
export function sinceOf(text: string | undefined): number | null {
  try {
    return parseSince(text ?? '30d');
  } catch {
    return null;
  }
}

/**
 * The report from the bot's real database, opened read-only for each request: the studio never
 * writes to it, and sees what the bot recorded a moment ago.
 */
export function readStudioReport(dbPath: string, since: number): StudioReport {
  return withDb(dbPath, (db) => {
    if (!db) return { since: new Date(since).toISOString(), database: false, sections: {} };
    const base = buildReport(db, since);
    const sections = Object.fromEntries(
      Object.entries(SECTIONS)
        .map(([id, s]) => [id, s.read(db, since, base)] as const)
        .filter(([id, rows]) => !WHEN_USED.has(id) || rows.length),
    );
    return { since: base.since, database: true, sections };
  });
}

/** One section as CSV, or the whole report as `cli report --csv` writes it. */
export function reportCsv(dbPath: string, since: number, section?: string): string | null {
  const def = section === undefined ? undefined : SECTIONS[section];
  if (section !== undefined && !def) return null;
  return withDb(dbPath, (db) => {
    const empty: Report = {
      since: new Date(since).toISOString(),
      conversations: [],
      flows: [],
      faq: [],
      unanswered: [],
      safety: [],
      voice: [],
    };
    const base = db ? buildReport(db, since) : empty;
    if (!def) return `${reportToCsv(base)}\n`;
    return `${rowsToCsv(def.columns, db ? def.read(db, since, base) : [])}\n`;
  });
}

function withDb<T>(path: string, use: (db: Db | null) => T): T {
  const db = openReadOnly(path);
  try {
    return use(db);
  } finally {
    db?.close();
  }
}

/** Conversations per campaign tag: how many people each leader's link or poster brought. */
function campaigns(r: Report): Rows {
  const counts = new Map<string, number>();
  for (const c of r.conversations) {
    if (c.campaign) counts.set(c.campaign, (counts.get(c.campaign) ?? 0) + c.count);
  }
  return [...counts]
    .map(([campaign, count]) => ({ campaign, count }))
    .sort((a, b) => b.count - a.count || a.campaign.localeCompare(b.campaign));
}
