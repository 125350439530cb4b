import type { Config } from '../config/env.js';
import { questionId } from '../faq/teach.js';
import {
  buildReport,
  conversationsPerDay,
  parseSince,
  type Report,
  reportToCsv,
  rowsToCsv,
  unansweredRows,
} from '../report/report.js';
import type { Store } from '../store/contract.js';
import { openStore } from '../store/open.js';
import { openReadOnly } from '../store/sqlite/db.js';

type Rows = Array<Record<string, unknown>>;

/** What the Report tab reads: the same through either store engine. */
export type ReportReader = Pick<Store, 'report' | 'unanswered' | 'conversationsPerDay'>;

/**
 * The bot's real store, for reading. `read` gives null when the bot has not made its database yet.
 * SQLite: the file opened read-only for each request, so the studio can never change nor create
 * it and sees what the bot recorded a moment ago. PostgreSQL: one pool for the studio's life.
 */
export type ReportSource = {
  read<T>(use: (reader: ReportReader | null) => Promise<T>): Promise<T>;
  close(): Promise<void>;
};

export function reportSource(config: Pick<Config, 'DATABASE_URL' | 'paths'>): ReportSource {
  return config.DATABASE_URL ? storeSource(() => openStore(config)) : sqliteSource(config.paths.db);
}

export function sqliteSource(path: string): ReportSource {
  return {
    async read(use) {
      const db = openReadOnly(path);
      if (!db) return use(null);
      try {
        return await use({
          report: async (since) => buildReport(db, since),
          unanswered: async (since) => unansweredRows(db, since),
          conversationsPerDay: async (since) => conversationsPerDay(db, since),
        });
      } finally {
        db.close();
      }
    },
    close: async () => {},
  };
}

/** The bot's store cannot be reached (PostgreSQL down): the message names the server, never the URL. */
export class StoreUnavailable extends Error {
  override name = 'StoreUnavailable';
}

/** A store opened on first use; a failed opening (server down) is tried again on the next request. */
function storeSource(open: () => Promise<Store>): ReportSource {
  let store: Promise<Store> | null = null;
  return {
    async read(use) {
      store ??= open().catch((e: unknown) => {
        store = null;
        throw new StoreUnavailable(e instanceof Error ? e.message : String(e), { cause: e });
      });
      return use(await store);
    },
    async close() {
      const s = await store?.catch(() => null);
      store = null;
      await s?.close();
    },
  };
}

/** Whether a question is already a phrasing, and of which entry. */
export type TaughtTo = (lang: string, query: string) => string | null;

/**
 * The sections of the studio's Report tab, in the order shown: what each reads and the
 * columns of its CSV. A new kind of count (handoffs, say) is one more entry here
 * and one more renderer in the page.
 */
const SECTIONS: Record<
  string,
  { columns: string[]; read: (reader: ReportReader, since: number, base: Report) => Rows | Promise<Rows> }
> = {
  daily: { columns: ['day', 'lang', 'count'], read: (reader, since) => reader.conversationsPerDay(since) },
  safety: { columns: ['day', 'lang', 'count'], read: (_r, _s, r) => r.safety },
  voice: { columns: ['day', 'lang', 'count'], read: (_r, _s, r) => r.voice },
  conversations: { columns: ['channel', 'lang', 'campaign', 'count'], read: (_r, _s, r) => r.conversations },
  campaigns: { columns: ['campaign', 'count'], read: (_r, _s, r) => campaigns(r) },
  flows: { columns: ['flow', 'started', 'completed'], read: (_r, _s, r) => r.flows },
  faq: { columns: ['id', 'shown', 'helpful', 'notHelpful'], read: (_r, _s, r) => r.faq },
  unanswered: { columns: ['query', 'lang', 'count'], read: (_r, _s, r) => r.unanswered },
  handoffs: {
    columns: ['day', 'opened', 'answeredWithinHour', 'closed'],
    read: (_r, _s, r) => r.handoffs ?? [],
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
 * The report from the bot's real store. Each unanswered question carries its short id (the one
 * `cli report --unanswered` prints, for "teach") and the entry it was taught to, if any.
 */
export async function readStudioReport(
  source: ReportSource,
  since: number,
  taught: TaughtTo = () => null,
): Promise<StudioReport> {
  return source.read(async (reader) => {
    if (!reader) return { since: new Date(since).toISOString(), database: false, sections: {} };
    const base = await reader.report(since);
    const sections: Record<string, Rows> = {};
    for (const [id, s] of Object.entries(SECTIONS)) {
      const rows = await s.read(reader, since, base);
      if (!WHEN_USED.has(id) || rows.length) sections[id] = rows;
    }
    sections.unanswered = base.unanswered.map((u) => ({
      ...u,
      id: questionId(u.lang, u.query),
      taught: taught(u.lang, u.query),
    }));
    return { since: base.since, database: true, sections };
  });
}

/** One section as CSV, or the whole report as `cli report --csv` writes it. */
export async function reportCsv(
  source: ReportSource,
  since: number,
  section?: string,
): Promise<string | null> {
  const def = section === undefined ? undefined : SECTIONS[section];
  if (section !== undefined && !def) return null;
  return source.read(async (reader) => {
    const empty: Report = {
      since: new Date(since).toISOString(),
      conversations: [],
      flows: [],
      faq: [],
      unanswered: [],
      safety: [],
      voice: [],
    };
    const base = reader ? await reader.report(since) : empty;
    if (!def) return `${reportToCsv(base)}\n`;
    return `${rowsToCsv(def.columns, reader ? await def.read(reader, since, base) : [])}\n`;
  });
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
