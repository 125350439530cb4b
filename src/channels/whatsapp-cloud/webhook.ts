import { Hono } from 'hono';
import type { Logger } from 'pino';
import { SIGNATURE_HEADER, sameSecret, validSignature } from './signature.js';

/** What the channel made of a signed call: done, or worth Meta's sending it again. */
export type WebhookResult = 'ok' | 'retry';

export type WebhookOptions = {
  appSecret: string;
  verifyToken: string;
  /** Called with the parsed body of a signed call; the answer waits for it (turns are short). */
  handle: (body: unknown) => WebhookResult | Promise<WebhookResult>;
  log: Logger;
};

/**
 * The Cloud API's webhook, as a Hono app the shared HTTP server mounts at /whatsapp.
 * GET answers Meta's subscription handshake. POST is read only when its signature is right:
 * anything else is refused with 401 before the body is parsed.
 */
export function createCloudWebhook(options: WebhookOptions): Hono {
  const { log } = options;
  const app = new Hono();
  app.get('/', (c) => {
    const challenge = c.req.query('hub.challenge');
    if (
      c.req.query('hub.mode') === 'subscribe' &&
      challenge !== undefined &&
      sameSecret(c.req.query('hub.verify_token'), options.verifyToken)
    ) {
      log.info({ code: 'whatsapp_cloud.verified' }, 'whatsapp-cloud: Meta verified the webhook');
      return c.text(challenge, 200);
    }
    log.warn(
      { code: 'whatsapp_cloud.verify_refused' },
      'whatsapp-cloud: a webhook verification was refused; check WHATSAPP_CLOUD_VERIFY_TOKEN',
    );
    return c.text('Forbidden', 403);
  });
  app.post('/', async (c) => {
    const raw = new Uint8Array(await c.req.arrayBuffer());
    if (!validSignature(raw, c.req.header(SIGNATURE_HEADER), options.appSecret)) {
      log.warn(
        { code: 'whatsapp_cloud.signature' },
        'whatsapp-cloud: a webhook call without a valid signature was refused; check WHATSAPP_CLOUD_APP_SECRET',
      );
      return c.text('Unauthorized', 401);
    }
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(raw).toString('utf8'));
    } catch {
      return c.text('Bad Request', 400);
    }
    return (await options.handle(body)) === 'ok' ? c.text('OK', 200) : c.text('Try again later', 500);
  });
  return app;
}
