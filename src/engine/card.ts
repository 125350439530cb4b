import type { Danger } from './context.js';
import { isHome } from './menu-options.js';
import type { Turn } from './turn.js';
import type { MenuPending, OptionOut, Pending } from './types.js';

/** Until a person can take over the conversation, "talk to a person" shows this entry. */
export const HUMAN_FAQ = 'help.human';
/** The options only the emergency card offers; a press on an old card still does what it says. */
export const CARD_OPTIONS = ['human', 'emergency', 'exit'] as const;
export type CardOption = (typeof CARD_OPTIONS)[number];

export function isCardOption(id: string): id is CardOption {
  return (CARD_OPTIONS as readonly string[]).includes(id);
}

/**
 * Shows the emergency card over whatever the user was doing: the numbers to call, what to do
 * now, and the ways on. The menu it covers is kept, so "back" returns to it.
 */
export function showCard(turn: Turn, danger: Danger): void {
  turn.session.lang ??= danger.lang;
  const pending = turn.session.pending;
  turn.session.pending = { kind: 'safety', prior: menuPending(pending) };
  turn.emit({ type: 'metric', name: 'safety_card' });
  const text = [
    turn.common('card.title'),
    turn.ctx.emergencyLine(turn.session.vars.country ?? null, turn.lang),
    turn.common('card.now'),
  ].join('\n\n');
  turn.sayCard(text, cardOptions(turn));
}

/** The engine-made menu under a card or a voice-note reply: what "back" returns to. */
export function menuPending(pending: Pending | null): MenuPending | null {
  return pending?.kind === 'safety' || pending?.kind === 'voice' ? pending.prior : pending;
}

export function cardOptions(turn: Turn): OptionOut[] {
  const options: OptionOut[] = [];
  if (turn.ctx.faq.view(HUMAN_FAQ, turn.lang))
    options.push({ id: 'human', label: turn.common('card.human') });
  if (turn.flow('emergency')) options.push({ id: 'emergency', label: turn.common('card.contacts') });
  options.push({ id: 'exit', label: turn.common('card.exit') });
  return [...options, ...wayBack(turn)];
}

/** The reply to a voice note: talk to a person, or on from where the user was. */
export function voiceOptions(turn: Turn): OptionOut[] {
  const options: OptionOut[] = [];
  if (turn.ctx.faq.view(HUMAN_FAQ, turn.lang))
    options.push({ id: 'human', label: turn.common('card.human') });
  return [...options, ...wayBack(turn)];
}

function wayBack(turn: Turn): OptionOut[] {
  const { at, pending } = turn.session;
  const prior = pending?.kind === 'safety' || pending?.kind === 'voice' ? pending.prior : null;
  // "Back" only when it leads somewhere other than the home menu.
  const nowhere = !prior && (!at || isHome(turn, at));
  return nowhere ? turn.nav('menu') : turn.nav('back', 'menu');
}
