import type { BroadcastSender } from '../broadcast/worker.js';

/** A running channel that can be stopped cleanly; `broadcast` when it sends broadcasts. */
export type RunningChannel = { name: string; stop: () => Promise<void>; broadcast?: BroadcastSender };
