import type { GotoStep } from '../../flows/schema.js';
import type { Advance, Turn } from '../turn.js';
import type { Position } from '../types.js';

export function enterGoto(turn: Turn, at: Position, step: GotoStep): Advance {
  turn.emit({ type: 'metric', name: 'flow_completed', flow: at.flow });
  if (step.flow !== 'main') turn.emit({ type: 'metric', name: 'flow_started', flow: step.flow });
  const target = turn.flow(step.flow);
  return { next: { flow: step.flow, step: target?.start ?? '' } };
}
