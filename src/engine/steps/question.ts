import type { QuestionStep } from '../../flows/schema.js';
import type { Advance, Turn } from '../turn.js';
import type { Position } from '../types.js';

export function enterQuestion(turn: Turn, at: Position, _step: QuestionStep): Advance {
  turn.say(turn.stepText(at), turn.nav('back', 'menu'));
  return { wait: true };
}
