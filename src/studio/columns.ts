import type { Flow, Localized } from '../flows/schema.js';
import { LANGS, type Lang } from '../text/lang.js';

export type Cell = { text: string; missing: boolean; suspicious: boolean };
export type Row = { key: string; cells: Record<Lang, Cell> };

/**
 * One step's texts side by side in es, en and ht. A translation identical to the Spanish one
 * is suspicious: often the text was copied and never translated.
 */
export function stepColumns(
  flow: Flow,
  stepId: string,
): { flow: string; step: string; type: string; rows: Row[] } | null {
  const step = flow.steps[stepId];
  if (!step) return null;
  const rows: Row[] = [];
  const add = (key: string, value: Localized | undefined) => {
    if (!value) return;
    const cells = Object.fromEntries(
      LANGS.map((l) => {
        const text = value[l] ?? '';
        return [
          l,
          {
            text,
            missing: !text.trim(),
            suspicious: l !== 'es' && text.trim().length > 3 && text.trim() === value.es.trim(),
          },
        ];
      }),
    ) as Record<Lang, Cell>;
    rows.push({ key, cells });
  };
  if ('text' in step) add('text', step.text);
  if (step.type === 'menu') for (const o of step.options) add(`option ${o.id}`, o.label);
  return { flow: flow.id, step: stepId, type: step.type, rows };
}
