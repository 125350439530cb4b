import type { FaqEntry } from '../faq/schema.js';
import type { Flow, Localized } from '../flows/schema.js';
import { LANGS, type Lang } from '../text/lang.js';

export type Cell = { text: string; missing: boolean; suspicious: boolean };
export type Row = { key: string; cells: Record<Lang, Cell> };

/**
 * One text in es, en and ht. A translation identical to the Spanish one is suspicious: often
 * the text was copied and never translated.
 */
function row(key: string, value: Partial<Record<Lang, string>>): Row {
  const es = (value.es ?? '').trim();
  const cells = Object.fromEntries(
    LANGS.map((l) => {
      const text = value[l] ?? '';
      return [
        l,
        {
          text,
          missing: !text.trim(),
          suspicious: l !== 'es' && text.trim().length > 3 && text.trim() === es,
        },
      ];
    }),
  ) as Record<Lang, Cell>;
  return { key, cells };
}

/** One step's texts side by side in es, en and ht. */
export function stepColumns(
  flow: Flow,
  stepId: string,
): { flow: string; step: string; type: string; rows: Row[] } | null {
  const step = flow.steps[stepId];
  if (!step) return null;
  const rows: Row[] = [];
  const add = (key: string, value: Localized | undefined) => {
    if (value) rows.push(row(key, value));
  };
  if ('text' in step) add('text', step.text);
  if (step.type === 'menu') for (const o of step.options) add(`option ${o.id}`, o.label);
  return { flow: flow.id, step: stepId, type: step.type, rows };
}

/** An FAQ entry's title and answer side by side; a language the file lacks is missing. */
export function faqColumns(entry: FaqEntry): { id: string; rows: Row[] } {
  const pick = (field: 'title' | 'answer') =>
    Object.fromEntries(LANGS.map((l) => [l, entry[l]?.[field] ?? ''])) as Record<Lang, string>;
  return { id: entry.id, rows: [row('title', pick('title')), row('answer', pick('answer'))] };
}
