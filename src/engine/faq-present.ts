import { HUMAN_FAQ } from './card.js';
import { askForPerson } from './handoff.js';
import { offerOption } from './subscribe.js';
import type { Turn } from './turn.js';
import type { OptionOut } from './types.js';

const RELATED_SHOWN = 2;

/**
 * Shows an FAQ entry and leaves the user on its follow-up options:
 * helpful yes / no, related topics, emergency contacts where the topic can mean danger, and the menu.
 */
export function showFaq(turn: Turn, id: string, followUp = true): boolean {
  // With a staff inbox, "talk to a person" is a person, not an entry that says how to find one.
  if (id === HUMAN_FAQ && followUp && turn.ctx.handoff) {
    askForPerson(turn);
    return true;
  }
  const view = turn.ctx.faq.view(id, turn.lang);
  if (!view) {
    turn.emit({ type: 'log', level: 'warn', code: 'faq.missing', flow: turn.session.at?.flow });
    turn.say(turn.common('faq.missing'), followUp ? turn.nav('back', 'menu') : [], id);
    if (followUp) turn.session.pending = { kind: 'end' };
    return false;
  }
  const note = view.lang !== turn.lang ? `${turn.common('faq.fallbackNote')}\n\n` : '';
  const text = `${note}*${view.title}*\n\n${view.answer.trim()}`;
  turn.emit({ type: 'metric', name: 'faq_shown', faq: id });
  if (!followUp) {
    turn.say(text, [], id, view.audio);
    return true;
  }
  turn.session.pending = { kind: 'faq', id };
  turn.say(text, faqOptions(turn, id), id, view.audio);
  return true;
}

/** "Listen": the answer's recording, whatever the user's audio setting, with the same follow-up options. */
export function listenFaq(turn: Turn, id: string): void {
  const view = turn.ctx.faq.view(id, turn.lang);
  if (!view?.audio) return void showFaq(turn, id);
  turn.session.pending = { kind: 'faq', id };
  turn.say(turn.common('audio.here', { title: view.title }), faqOptions(turn, id), id, view.audio, true);
}

export function faqOptions(turn: Turn, id: string): OptionOut[] {
  const view = turn.ctx.faq.view(id, turn.lang);
  const options: OptionOut[] = [
    ...(view?.audio ? [{ id: 'listen', label: turn.common('audio.listen') }] : []),
    { id: 'yes', label: turn.common('faq.helpfulYes') },
    { id: 'no', label: turn.common('faq.helpfulNo') },
  ];
  for (const rel of view?.related.slice(0, RELATED_SHOWN) ?? []) {
    const r = turn.ctx.faq.view(rel, turn.lang);
    if (r) options.push({ id: rel, label: r.title });
  }
  if (view?.safety && turn.flow('emergency'))
    options.push({ id: 'emergency', label: turn.common('nav.emergency') });
  const offer = offerOption(turn, id);
  if (offer) options.push(offer);
  return [...options, ...turn.exits()];
}

export function suggestOptions(turn: Turn, ids: string[]): OptionOut[] {
  const options: OptionOut[] = [];
  for (const id of ids) {
    const v = turn.ctx.faq.view(id, turn.lang);
    if (v) options.push({ id, label: v.title });
  }
  return [...options, ...turn.exits()];
}
