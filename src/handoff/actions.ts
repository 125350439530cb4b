import type { Event, OutMessage, VoiceNote } from '../engine/types.js';
import type { HandoffRow } from '../store/handoffs.js';

/**
 * What a turn did to a conversation with a person, written in the turn's transaction and
 * handed to the host after the commit, which talks to the staff inbox.
 */
export type HandoffAction =
  | { type: 'open'; row: HandoffRow; history: boolean; outOfHours: boolean }
  | { type: 'relay'; row: HandoffRow; text: string }
  /** A voice note, by the channel's reference: fetched and passed on as audio, never stored. */
  | { type: 'voice'; row: HandoffRow; voice: VoiceNote }
  | { type: 'close'; row: HandoffRow; reason: 'user' | 'left' | 'staff' | 'idle' };

/** One finished turn as the handoff host sees it. */
export type TurnDone = {
  channel: string;
  user: string;
  key: string;
  /** null when the user left outside a turn (they blocked the bot). */
  event: Event | null;
  messages: OutMessage[];
  actions: HandoffAction[];
  /** The user was forgotten: nothing of theirs may stay, in memory either. */
  forgotten: boolean;
};

/** The host's side of a turn; the Bot calls it after each commit. */
export interface HandoffSink {
  afterTurn(turn: TurnDone): void;
}
