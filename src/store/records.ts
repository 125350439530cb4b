import type { Effect } from '../engine/types.js';
import type { Lang } from '../text/lang.js';
import type { Write } from './contract.js';

/** Who a turn's records are counted for: never the user, only the channel, language and campaign. */
export type RecordContext = { channel: string; lang: Lang | null; campaign: string | null };

/** The writes of a turn that are counted records. */
export type RecordWrite = Extract<Write, { type: 'event' | 'feedback' | 'unanswered' }>;

/** The records a turn's effects ask for: metrics, feedback and unanswered questions. */
export function recordWrites(effects: readonly Effect[], ctx: RecordContext): RecordWrite[] {
  const out: RecordWrite[] = [];
  for (const e of effects) {
    if (e.type === 'metric')
      out.push({
        type: 'event',
        name: e.name,
        channel: ctx.channel,
        lang: ctx.lang,
        campaign: ctx.campaign,
        flow: e.flow ?? null,
        faq: e.faq ?? null,
      });
    else if (e.type === 'feedback')
      out.push({ type: 'feedback', faq: e.faq, lang: ctx.lang, helpful: e.helpful });
    else if (e.type === 'unanswered' && e.query)
      out.push({ type: 'unanswered', lang: e.lang, query: e.query });
  }
  return out;
}
