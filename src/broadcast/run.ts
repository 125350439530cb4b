import type { RunningChannel } from '../channels/channel.js';
import type { App } from '../runtime/app.js';
import { BroadcastWorker } from './worker.js';

/**
 * Starts sending queued broadcasts on the channels that send them. `cli broadcast send` only
 * queues; this loop, in the running bot, does the sending, so a broadcast survives restarts.
 */
export function startBroadcasts(app: App, channels: readonly RunningChannel[]): BroadcastWorker | null {
  const outboxes = channels.flatMap((c) => (c.broadcastOutbox ? [c.broadcastOutbox] : []));
  if (!outboxes.length) return null;
  const worker = new BroadcastWorker({
    store: app.store.broadcasts,
    alone: app.store.engine === 'sqlite',
    outboxes,
    seal: app.bot.seal,
    addresses: app.bot.addresses,
    log: app.log,
  });
  worker.start();
  app.log.info(
    {
      code: 'broadcast.ready',
      channels: outboxes.map((s) => `${s.channel}@${Math.round(s.rate * 1000) / 1000}/s`),
    },
    'broadcasts: sending queued broadcasts',
  );
  return worker;
}
