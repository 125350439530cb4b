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
};

/** Broadcasts and subscribers, listed by the text report after the counts. */
export type BroadcastReport = {
  /** Every broadcast with its figures, newest first, whenever it was made. */
  broadcasts: Array<{
    id: number;
    topic: string;
    status: string;
    created: string;
    queued: number;
    sent: number;
    failed: number;
    blocked: number;
    replies: number;
  }>;
  /** People subscribed now, per topic and language. */
  subscribers: Array<{ topic: string; lang: string; count: number }>;
};

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
  return { since: new Date(sinceMs).toISOString(), conversations, flows, faq, unanswered, safety, voice };
}

/** Every broadcast's figures and today's subscribers: counts only, no key or address. */
export function buildBroadcastReport(db: Db): BroadcastReport {
  // A database a read-only tool opens may predate broadcasts: no table, no figures.
  const hasBroadcasts =
    db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'broadcasts'`).get() !== undefined;
  const broadcasts = !hasBroadcasts
    ? []
    : (
        db
          .prepare(
            `SELECT b.id, b.topic, b.status, b.created_at AS created,
           coalesce(sum(d.state = 'queued'), 0) AS queued, coalesce(sum(d.state = 'sent'), 0) AS sent,
           coalesce(sum(d.state = 'failed'), 0) AS failed, coalesce(sum(d.state = 'blocked'), 0) AS blocked,
           coalesce(sum(d.replied), 0) AS replies
         FROM broadcasts b LEFT JOIN broadcast_deliveries d ON d.broadcast_id = b.id
         GROUP BY b.id ORDER BY b.id DESC`,
          )
          .all() as Array<Omit<BroadcastReport['broadcasts'][number], 'created'> & { created: number }>
      ).map((b) => ({ ...b, created: new Date(b.created).toISOString() }));
  const subscribers = !hasBroadcasts
    ? []
    : (db
        .prepare(
          'SELECT topic, lang, count(*) AS count FROM subscriptions GROUP BY topic, lang ORDER BY topic, lang',
        )
        .all() as BroadcastReport['subscribers']);
  return { broadcasts, subscribers };
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
