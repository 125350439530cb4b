import type { BroadcastReport } from '../broadcast/store.js';
import type { UnansweredRow } from '../store/contract.js';
import type { Db } from '../store/sqlite/db.js';

export type Report = {
  since: string;
  conversations: Array<{ channel: string; lang: string | null; campaign: string | null; count: number }>;
  flows: Array<{ flow: string; started: number; completed: number }>;
  faq: Array<{ id: string; shown: number; helpful: number; notHelpful: number }>;
  unanswered: Array<{ query: string; lang: string; count: number }>;
  /** Emergency cards shown, per day (UTC) and language: how often danger was recognised. */
  safety: Array<{ day: string; lang: string | null; count: number }>;
  /**
   * Voice notes received, per day (UTC) and language (null: before the language was known), so
   * staff can judge whether speech-to-text is worth it. Counts only: nothing of the audio is kept.
   */
  voice: Array<{ day: string; lang: string | null; count: number }>;
  /**
   * Conversations with a person per day (UTC): opened, first staff reply within an hour of
   * opening, closed. Present when there were any in the period.
   */
  handoffs?: HandoffDay[];
};

export type HandoffDay = { day: string; opened: number; answeredWithinHour: number; closed: number };

const TOP = 20;

/**
 * Events since `since`: the rows still kept, and the daily counts of those the retention purge
 * removed (a day counts when it starts at or after `since`).
 */
const EVENTS = `events_since AS (
  SELECT name, channel, lang, campaign, flow, faq, 1 AS n FROM events WHERE at >= @since
  UNION ALL
  SELECT name, channel, nullif(lang, ''), nullif(campaign, ''), nullif(flow, ''), nullif(faq, ''), count
  FROM daily_counts WHERE day >= @since AND name NOT IN ('helpful', 'not_helpful'))`;
const FEEDBACK = `feedback_since AS (
  SELECT faq, helpful, 1 AS n FROM feedback WHERE at >= @since
  UNION ALL
  SELECT faq, name = 'helpful', count FROM daily_counts WHERE day >= @since AND name IN ('helpful', 'not_helpful'))`;

/** Counts only: no user key or address leaves the database, only sums. */
export function buildReport(db: Db, sinceMs: number): Report {
  const conversations = db
    .prepare(
      `WITH ${EVENTS}
       SELECT channel, lang, campaign, sum(n) AS count FROM events_since
       WHERE name = 'conversation_started' GROUP BY channel, lang, campaign ORDER BY count DESC, channel, lang`,
    )
    .all({ since: sinceMs }) as Report['conversations'];
  const flows = db
    .prepare(
      `WITH ${EVENTS}
       SELECT flow, sum((name = 'flow_started') * n) AS started, sum((name = 'flow_completed') * n) AS completed
       FROM events_since WHERE name IN ('flow_started', 'flow_completed') AND flow IS NOT NULL
       GROUP BY flow ORDER BY started DESC, flow`,
    )
    .all({ since: sinceMs }) as Report['flows'];
  const faq = db
    .prepare(
      `WITH ${EVENTS}, ${FEEDBACK},
            shown AS (SELECT faq AS id, sum(n) AS n FROM events_since WHERE name = 'faq_shown' GROUP BY faq),
            fb AS (SELECT faq AS id, sum(helpful * n) AS yes, sum((1 - helpful) * n) AS no FROM feedback_since GROUP BY faq)
       SELECT shown.id AS id, shown.n AS shown, coalesce(fb.yes, 0) AS helpful, coalesce(fb.no, 0) AS notHelpful
       FROM shown LEFT JOIN fb ON fb.id = shown.id ORDER BY shown.n DESC, shown.id LIMIT ${TOP}`,
    )
    .all({ since: sinceMs }) as Report['faq'];
  const unanswered = db
    .prepare(
      `SELECT query, lang, count(*) AS count FROM unanswered WHERE at >= @since GROUP BY query, lang ORDER BY count DESC, query LIMIT ${TOP}`,
    )
    .all({ since: sinceMs }) as Report['unanswered'];
  const safety = perDay(db, 'safety_card', sinceMs);
  const voice = perDay(db, 'voice_note', sinceMs);
  const report: Report = {
    since: new Date(sinceMs).toISOString(),
    conversations,
    flows,
    faq,
    unanswered,
    safety,
    voice,
  };
  // Only where a staff inbox was used: the report of a bot without one keeps its shape.
  const handoffs = handoffsPerDay(db, sinceMs);
  if (handoffs.length) report.handoffs = handoffs;
  return report;
}

/** Counts only: the table holds no text, and a closed conversation no user key. */
function handoffsPerDay(db: Db, sinceMs: number): HandoffDay[] {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'handoffs'").get();
  if (!exists) return [];
  return db
    .prepare(
      `SELECT strftime('%Y-%m-%d', t / 1000, 'unixepoch') AS day, sum(o) AS opened, sum(f) AS answeredWithinHour,
              sum(c) AS closed FROM (
         SELECT opened_at AS t, 1 AS o, coalesce(replied_fast, 0) AS f, 0 AS c FROM handoffs WHERE opened_at >= @since
         UNION ALL
         SELECT closed_at, 0, 0, 1 FROM handoffs WHERE closed_at >= @since)
       GROUP BY day ORDER BY day`,
    )
    .all({ since: sinceMs }) as HandoffDay[];
}

export type PerDay = Array<{ day: string; lang: string | null; count: number }>;

/**
 * One kind of event per day (UTC) and language, oldest first: the rows still kept, and the
 * daily counts of those the retention purge removed.
 */
function perDay(db: Db, name: string, sinceMs: number): PerDay {
  return db
    .prepare(
      `SELECT strftime('%Y-%m-%d', t / 1000, 'unixepoch') AS day, lang, sum(n) AS count FROM (
         SELECT at AS t, lang, 1 AS n FROM events WHERE name = @name AND at >= @since
         UNION ALL
         SELECT day, nullif(lang, ''), count FROM daily_counts WHERE name = @name AND day >= @since)
       GROUP BY day, lang ORDER BY day, lang`,
    )
    .all({ name, since: sinceMs }) as PerDay;
}

/** Every scrubbed unanswered question since `sinceMs`, grouped: most asked first, then latest. */
export function unansweredRows(db: Db, sinceMs: number): UnansweredRow[] {
  return db
    .prepare(
      'SELECT lang, query, count(*) AS count, max(at) AS last FROM unanswered WHERE at >= ? GROUP BY query, lang ORDER BY count DESC, last DESC, query, lang',
    )
    .all(sinceMs) as UnansweredRow[];
}

/** Conversations started per day and language, for the studio's chart. */
export function conversationsPerDay(db: Db, sinceMs: number): PerDay {
  return perDay(db, 'conversation_started', sinceMs);
}

/** "30d", "12h", "2w", or a date such as 2026-01-31. */
export function parseSince(text: string, now = Date.now()): number {
  const m = /^(\d+)\s*([hdw])$/.exec(text.trim());
  if (m) return now - Number(m[1]) * { h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'h' | 'd' | 'w'];
  const date = Date.parse(text);
  if (Number.isNaN(date))
    throw new Error(`--since takes a period like 30d, 12h or 2w, or a date like 2026-01-31; not "${text}"`);
  return date;
}

/**
 * One CSV cell. Unanswered questions are what users typed: a cell a spreadsheet would run as a
 * formula (=, +, -, @) gets a leading apostrophe, so opening the export runs nothing.
 */
export function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows of one table as CSV, with their keys as the header. */
export function rowsToCsv(columns: readonly string[], rows: ReadonlyArray<Record<string, unknown>>): string {
  return [columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\n');
}

export function reportToCsv(r: Report): string {
  const head = 'section,channel,lang,campaign,flow,faq,query,count,started,completed,helpful,not_helpful,day';
  const row = (...v: unknown[]) => v.map(csvCell).join(',');
  return [
    head,
    ...r.conversations.map((c) =>
      row('conversations', c.channel, c.lang, c.campaign, '', '', '', c.count, '', '', '', '', ''),
    ),
    ...r.flows.map((f) => row('flows', '', '', '', f.flow, '', '', '', f.started, f.completed, '', '', '')),
    ...r.faq.map((f) => row('faq', '', '', '', '', f.id, '', f.shown, '', '', f.helpful, f.notHelpful, '')),
    ...r.unanswered.map((u) =>
      row('unanswered', '', u.lang, '', '', '', u.query, u.count, '', '', '', '', ''),
    ),
    ...r.safety.map((s) => row('safety', '', s.lang, '', '', '', '', s.count, '', '', '', '', s.day)),
    ...r.voice.map((v) => row('voice', '', v.lang, '', '', '', '', v.count, '', '', '', '', v.day)),
    ...(r.handoffs ?? []).flatMap((d) => [
      row('handoffs_opened', '', '', '', '', '', '', d.opened, '', '', '', '', d.day),
      row('handoffs_answered_within_1h', '', '', '', '', '', '', d.answeredWithinHour, '', '', '', '', d.day),
      row('handoffs_closed', '', '', '', '', '', '', d.closed, '', '', '', '', d.day),
    ]),
  ].join('\n');
}

export function reportToText(r: Report, b?: BroadcastReport): string {
  const out: string[] = [
    `Since ${r.since.slice(0, 10)}`,
    '',
    'Conversations started (channel, language, campaign):',
  ];
  for (const c of r.conversations)
    out.push(
      `  ${String(c.count).padStart(6)}  ${c.channel} ${c.lang ?? '-'} ${c.campaign ?? '(no campaign)'}`,
    );
  out.push('', 'Flows (started / completed):');
  for (const f of r.flows)
    out.push(`  ${String(f.started).padStart(6)} / ${String(f.completed).padEnd(6)} ${f.flow}`);
  out.push('', 'Top FAQ answers (shown, 👍, 👎):');
  for (const f of r.faq)
    out.push(
      `  ${String(f.shown).padStart(6)}  ${String(f.helpful).padStart(4)}  ${String(f.notHelpful).padStart(4)}  ${f.id}`,
    );
  out.push('', 'Top unanswered questions (material for new FAQ entries):');
  for (const u of r.unanswered) out.push(`  ${String(u.count).padStart(6)}  [${u.lang}] ${u.query}`);
  out.push('', 'Emergency cards shown (day, language):');
  for (const s of r.safety) out.push(`  ${String(s.count).padStart(6)}  ${s.day} ${s.lang ?? '-'}`);
  out.push('', 'Voice notes received (day, language; "-" before the language was known):');
  for (const v of r.voice) out.push(`  ${String(v.count).padStart(6)}  ${v.day} ${v.lang ?? '-'}`);
  if (r.handoffs?.length) {
    out.push('', 'Talk to a person (day: opened, first staff reply within 1 h, closed):');
    for (const d of r.handoffs)
      out.push(
        `  ${d.day}  ${String(d.opened).padStart(5)}  ${String(d.answeredWithinHour).padStart(5)}  ${String(d.closed).padStart(5)}`,
      );
  }
  if (!b) return `${out.join('\n')}\n`;
  out.push('', 'Subscribers now (topic, language):');
  for (const s of b.subscribers) out.push(`  ${String(s.count).padStart(6)}  ${s.topic} ${s.lang}`);
  out.push(
    '',
    'Broadcasts (id, topic, status, created: queued / sent / failed / blocked / replies within 24 h):',
  );
  for (const x of b.broadcasts)
    out.push(
      `  #${x.id} ${x.topic} ${x.status} ${x.created.slice(0, 16).replace('T', ' ')}: ${x.queued} / ${x.sent} / ${x.failed} / ${x.blocked} / ${x.replies}`,
    );
  return `${out.join('\n')}\n`;
}
