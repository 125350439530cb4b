import { Hono } from 'hono';
import type { RunningChannel } from '../channels/channel.js';
import type { App } from '../runtime/app.js';
import { storeFaultCode } from '../store/fault.js';

/** Older than this, a pending message means the sender is stuck: /health turns red. */
export const STALE_PENDING_MS = 5 * 60_000;

export type Health = {
  status: 'ok' | 'down';
  channels: Record<string, { state: string; up: boolean }>;
  content: { version: string };
  outbox: { backlog: number; oldestPendingSeconds: number | null };
  store: { engine: string; state: string; fault: string | null };
};

/** What /health shows: states, counts and ages, never a user, a chat or a text. */
export async function health(
  app: App,
  channels: readonly RunningChannel[],
  now = Date.now(),
): Promise<Health> {
  const byName: Health['channels'] = {};
  for (const c of channels) byName[c.name] = { state: c.state?.() ?? 'running', up: c.up?.() ?? true };
  let outbox: Health['outbox'] = { backlog: 0, oldestPendingSeconds: null };
  let store: Health['store'] = { engine: app.store.engine, ...app.bot.storeHealth };
  try {
    const s = await app.store.outbox.stats(now);
    outbox = {
      backlog: s.backlog,
      oldestPendingSeconds: s.oldestPendingMs === null ? null : Math.round(s.oldestPendingMs / 1000),
    };
  } catch (e) {
    store = { engine: app.store.engine, state: 'fault', fault: storeFaultCode(e) };
  }
  const down =
    Object.values(byName).some((c) => !c.up) ||
    store.state !== 'ok' ||
    (outbox.oldestPendingSeconds ?? 0) * 1000 > STALE_PENDING_MS;
  return {
    status: down ? 'down' : 'ok',
    channels: byName,
    content: { version: app.bot.current.version },
    outbox,
    store,
  };
}

/** GET /health (JSON, 503 when down) and GET /metrics (Prometheus text). */
export function healthRoutes(app: App, channels: () => readonly RunningChannel[]): Hono {
  const route = new Hono();
  route.get('/health', async (c) => {
    // The app's clock stamped the pending messages: their age is read by it too.
    const h = await health(app, channels(), app.bot.clock());
    return c.json(h, h.status === 'ok' ? 200 : 503, { 'cache-control': 'no-store' });
  });
  route.get('/metrics', async (c) => {
    const text = await app.metrics.registry.metrics();
    return c.body(text, 200, { 'content-type': app.metrics.registry.contentType });
  });
  return route;
}
