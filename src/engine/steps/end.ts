import type { EndStep } from '../../flows/schema.js';
import type { Advance, Turn } from '../turn.js';
import type { Position } from '../types.js';

/** A flow ends on a way forward, never a dead end: the menu is one tap away. */
export function enterEnd(turn: Turn, at: Position, step: EndStep): Advance {
  turn.emit({ type: 'metric', name: 'flow_completed', flow: at.flow });
  const text = step.text ? turn.stepText(at) : turn.common('end.default');
  turn.say(text, turn.nav('menu'));
  turn.session.pending = { kind: 'end' };
  return { wait: true };
}
