/** A running channel that can be stopped cleanly. */
export type RunningChannel = { name: string; stop: () => Promise<void> };
