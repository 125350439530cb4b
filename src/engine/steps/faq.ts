import type { FaqStep } from '../../flows/schema.js';
import { showFaq } from '../faq-present.js';
import type { Advance, Turn } from '../turn.js';
import type { Position } from '../types.js';

/** With `next`, the answer is one message of the flow; without it, the user gets the answer's follow-up options. */
export function enterFaq(turn: Turn, at: Position, step: FaqStep): Advance {
  if (step.next) {
    showFaq(turn, step.faq, false);
    return { next: { flow: at.flow, step: step.next } };
  }
  showFaq(turn, step.faq, true);
  return { wait: true };
}
