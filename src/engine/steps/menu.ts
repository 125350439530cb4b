import type { MenuStep } from '../../flows/schema.js';
import { menuOptions } from '../menu-options.js';
import type { Advance, Turn } from '../turn.js';
import type { Position } from '../types.js';

export function enterMenu(turn: Turn, at: Position, step: MenuStep): Advance {
  turn.say(turn.stepText(at), menuOptions(turn, at, step));
  return { wait: true };
}
