import type { Position } from '../engine/types.js';

/**
 * What a button carries: the option id and the menu it belongs to, so a button pressed on an
 * old message still does the right thing: `o|<option>|<flow>|<step>`, or `o|<option>` when that
 * would not fit in `maxBytes`. Null when not even the option id fits.
 */
export function encodeChoice(optionId: string, at: Position | null, maxBytes: number): string | null {
  const full = at ? `o|${optionId}|${at.flow}|${at.step}` : `o|${optionId}`;
  if (Buffer.byteLength(full) <= maxBytes) return full;
  const short = `o|${optionId}`;
  return Buffer.byteLength(short) <= maxBytes ? short : null;
}

export function decodeChoice(data: string): { choice: string; at?: Position } | null {
  const [tag, choice, flow, step] = data.split('|');
  if (tag !== 'o' || !choice) return null;
  return flow && step ? { choice, at: { flow, step } } : { choice };
}
