import type { OutboxBroadcast } from '../broadcast/feeder.js';

/** A running channel that can be stopped cleanly; `broadcastOutbox` when it sends broadcasts. */
export type RunningChannel = {
  name: string;
  /** Stops intake, then lets the channel's outbox send for up to `graceMs`. */
  stop: (graceMs?: number) => Promise<void>;
  /** Its state for /health (polling, webhook, connected...). */
  state?: () => string;
  /** False when the channel cannot serve now: /health answers 503. */
  up?: () => boolean;
  /** Set when the channel's broadcasts go through its outbox. */
  broadcastOutbox?: OutboxBroadcast;
  /** Settles with a one-line reason when the channel has stopped for good; the process exits non-zero. */
  failure?: Promise<string>;
};

/** A line for the operator, as an Error, when a channel cannot start. */
export class ChannelStartError extends Error {
  override name = 'ChannelStartError';
}
