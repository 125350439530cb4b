import type { Step } from '../../flows/schema.js';
import type { Advance, Turn } from '../turn.js';
import type { Position } from '../types.js';
import { enterBranch } from './branch.js';
import { enterContacts } from './contacts.js';
import { enterEnd } from './end.js';
import { enterFaq } from './faq.js';
import { enterGoto } from './goto.js';
import { enterMenu } from './menu.js';
import { enterMessage } from './message.js';
import { enterQuestion } from './question.js';

/** Runs a step when the user arrives at it. */
export function enterStep(turn: Turn, at: Position, step: Step): Advance {
  switch (step.type) {
    case 'message':
      return enterMessage(turn, at, step);
    case 'menu':
      return enterMenu(turn, at, step);
    case 'faq':
      return enterFaq(turn, at, step);
    case 'question':
      return enterQuestion(turn, at, step);
    case 'branch':
      return enterBranch(turn, at, step);
    case 'goto':
      return enterGoto(turn, at, step);
    case 'contacts':
      return enterContacts(turn, at, step);
    case 'end':
      return enterEnd(turn, at, step);
  }
}
