import type { MenuStep } from '../flows/schema.js';
import type { Turn } from './turn.js';
import type { OptionOut, Position } from './types.js';

/** The options a flow menu shows: its own, then "back" and "menu" everywhere but the home menu. */
export function menuOptions(turn: Turn, at: Position, step: MenuStep): OptionOut[] {
  const own = step.options.map((o) => ({ id: o.id, label: turn.optionLabel(at.flow, at.step, o) }));
  // Before the language is known, "back" and "menu" would be in a language the user may not read.
  // With a staff inbox, the home menu ends with "talk to a person", unless the flow has one.
  if (isHome(turn, at) && turn.ctx.handoff && turn.session.lang && !own.some((o) => o.id === 'human'))
    own.push({ id: 'human', label: turn.common('card.human') });
  if (isHome(turn, at) || !turn.session.lang) return own;
  return [...own, ...turn.nav('back', 'menu')];
}

export function isHome(turn: Turn, at: Position): boolean {
  return at.flow === 'main' && at.step === turn.flow('main')?.start;
}
