import type { BranchStep } from '../../flows/schema.js';
import { fold } from '../../text/normalize.js';
import type { Advance, Turn } from '../turn.js';
import type { Position } from '../types.js';

/** Cases compare folded, so "México", "mexico" and "MEXICO" take the same branch. */
export function enterBranch(turn: Turn, at: Position, step: BranchStep): Advance {
  const value = fold(turn.session.vars[step.var] ?? '');
  const match = Object.entries(step.cases).find(([key]) => fold(key) === value);
  return { next: { flow: at.flow, step: match ? match[1] : step.default } };
}
