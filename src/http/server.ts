import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';

/** A Hono app a channel gives the server, mounted at `path` (e.g. the Cloud API's webhook at /whatsapp). */
export type HttpRoute = { path: string; app: Hono };

/** Webhook calls are small; anything larger is refused before it is read. */
export const BODY_LIMIT = 1024 * 1024;

export type HttpServer = { url: string; port: number; close: () => Promise<void> };

/**
 * The one HTTP app of the bot: the routes channels give it, a body limit, and plain 404/500
 * answers that reveal nothing. A route answers 400 itself to a body it cannot parse.
 */
export function createHttpApp(routes: readonly HttpRoute[], log: Logger): Hono {
  const app = new Hono();
  const limit = bodyLimit({ maxSize: BODY_LIMIT, onError: (c) => c.text('Payload Too Large', 413) });
  app.use('*', async (c, next) => {
    // A declared length is checked at once; only a body without one is counted as it is read.
    const length = c.req.header('content-length');
    if (length !== undefined && !c.req.header('transfer-encoding')) {
      return Number(length) > BODY_LIMIT ? c.text('Payload Too Large', 413) : next();
    }
    return limit(c, next);
  });
  for (const route of routes) app.route(route.path, route.app);
  app.notFound((c) => c.text('Not Found', 404));
  app.onError((e, c) => {
    log.error({ code: 'http.error', err: e }, 'http: a request failed');
    return c.text('Internal Server Error', 500);
  });
  return app;
}

/** Starts the server on HTTP_HOST:HTTP_PORT (port 0: any free port, for tests). */
export async function startHttpServer(options: {
  port: number;
  host: string;
  routes: readonly HttpRoute[];
  log: Logger;
}): Promise<HttpServer> {
  const app = createHttpApp(options.routes, options.log);
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  options.log.info(
    { port, host: options.host, paths: options.routes.map((r) => r.path) },
    'http server listening',
  );
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}
