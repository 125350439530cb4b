import { stepAudioFor } from '../../audio/ref.js';
import type { MessageStep } from '../../flows/schema.js';
import type { Advance, Turn } from '../turn.js';
import type { Position } from '../types.js';

export function enterMessage(turn: Turn, at: Position, step: MessageStep): Advance {
  turn.say(turn.stepText(at), [], undefined, stepAudioFor(step.audio, turn.lang));
  return { next: { flow: at.flow, step: step.next } };
}
