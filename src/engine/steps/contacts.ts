import type { ContactsStep } from '../../flows/schema.js';
import type { Advance, Turn } from '../turn.js';
import type { Position } from '../types.js';

/** Shows the contacts of the country the user chose, or says none are known yet. */
export function enterContacts(turn: Turn, at: Position, step: ContactsStep): Advance {
  const country = turn.session.vars.country;
  const block = country ? turn.ctx.contacts(country, turn.lang) : null;
  turn.say(block ?? turn.common('contacts.none'));
  return { next: { flow: at.flow, step: step.next } };
}
