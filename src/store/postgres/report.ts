import type { Pool } from 'pg';
import type { HandoffDay, PerDay, Report } from '../../report/report.js';

const TOP = 20;

/** As on SQLite: the rows still kept, and the daily counts of those the retention purge removed. */
const EVENTS = `events_since AS (
  SELECT name, channel, lang, campaign, flow, faq, 1::bigint AS n FROM events WHERE at >= $1
  UNION ALL
  SELECT name, channel, nullif(lang, ''), nullif(campaign, ''), nullif(flow, ''), nullif(faq, ''), count
  FROM daily_counts WHERE day >= $1 AND name NOT IN ('helpful', 'not_helpful'))`;
const FEEDBACK = `feedback_since AS (
  SELECT faq, helpful::int AS helpful, 1::bigint AS n FROM feedback WHERE at >= $1
  UNION ALL
  SELECT faq, (name = 'helpful')::int, count FROM daily_counts WHERE day >= $1 AND name IN ('helpful', 'not_helpful'))`;

/** The staff report from PostgreSQL: the same queries and order as SQLite's (src/report/report.ts). */
export async function buildPgReport(pool: Pool, sinceMs: number): Promise<Report> {
  const all = async <T>(sql: string, params: unknown[] = [sinceMs]) =>
    (await pool.query(sql, params)).rows as T[];
  const conversations = await all<Report['conversations'][number]>(
    `WITH ${EVENTS}
     SELECT channel, lang, campaign, sum(n)::int AS count FROM events_since
     WHERE name = 'conversation_started' GROUP BY channel, lang, campaign
     ORDER BY count DESC, channel COLLATE "C", lang COLLATE "C" NULLS FIRST`,
  );
  const flows = await all<Report['flows'][number]>(
    `WITH ${EVENTS}
     SELECT flow, sum((name = 'flow_started')::int * n)::int AS started,
            sum((name = 'flow_completed')::int * n)::int AS completed
     FROM events_since WHERE name IN ('flow_started', 'flow_completed') AND flow IS NOT NULL
     GROUP BY flow ORDER BY started DESC, flow COLLATE "C"`,
  );
  const faq = await all<Report['faq'][number]>(
    `WITH ${EVENTS}, ${FEEDBACK},
          shown AS (SELECT faq AS id, sum(n) AS n FROM events_since WHERE name = 'faq_shown' GROUP BY faq),
          fb AS (SELECT faq AS id, sum(helpful * n) AS yes, sum((1 - helpful) * n) AS no FROM feedback_since GROUP BY faq)
     SELECT shown.id AS id, shown.n::int AS shown, coalesce(fb.yes, 0)::int AS helpful,
            coalesce(fb.no, 0)::int AS "notHelpful"
     FROM shown LEFT JOIN fb ON fb.id = shown.id ORDER BY shown.n DESC, shown.id COLLATE "C" LIMIT ${TOP}`,
  );
  const unanswered = await all<Report['unanswered'][number]>(
    `SELECT query, lang, count(*)::int AS count FROM unanswered WHERE at >= $1
     GROUP BY query, lang ORDER BY count DESC, query COLLATE "C" LIMIT ${TOP}`,
  );
  const safety = await perDay(pool, 'safety_card', sinceMs);
  const voice = await perDay(pool, 'voice_note', sinceMs);
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
  const handoffs = await all<HandoffDay>(
    `SELECT to_char(to_timestamp(t / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, sum(o)::int AS opened,
            sum(f)::int AS "answeredWithinHour", sum(c)::int AS closed FROM (
       SELECT opened_at AS t, 1 AS o, coalesce(replied_fast, 0) AS f, 0 AS c FROM handoffs WHERE opened_at >= $1
       UNION ALL
       SELECT closed_at, 0, 0, 1 FROM handoffs WHERE closed_at >= $1) x
     GROUP BY 1 ORDER BY 1`,
  );
  if (handoffs.length) report.handoffs = handoffs;
  return report;
}

/** One kind of event per day (UTC) and language, oldest first, as on SQLite. */
export async function perDay(pool: Pool, name: string, sinceMs: number): Promise<PerDay> {
  const { rows } = await pool.query(
    `SELECT to_char(to_timestamp(t / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, lang, sum(n)::int AS count FROM (
       SELECT at AS t, lang, 1::bigint AS n FROM events WHERE name = $2 AND at >= $1
       UNION ALL
       SELECT day, nullif(lang, ''), count FROM daily_counts WHERE name = $2 AND day >= $1) x
     GROUP BY 1, lang ORDER BY 1, lang COLLATE "C" NULLS FIRST`,
    [sinceMs, name],
  );
  return rows as PerDay;
}
