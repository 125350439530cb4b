import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type GraphCall = {
  method: string;
  path: string;
  auth: string | undefined;
  body: Record<string, unknown> | null;
  /** The message id given back, when the send was accepted. */
  messageId?: string;
};

/** A refusal to give for the next send, as the Graph API words it. */
export type GraphFailure = {
  status: number;
  code?: number;
  type?: string;
  message?: string;
  retryAfter?: number;
};

/**
 * A local stand-in for Meta's side of the WhatsApp Cloud API, over real HTTP: the Graph API's
 * messages and phone-number endpoints (checking the bearer token), and the webhook calls Meta
 * makes to the bot, signed with the app secret as Meta signs them.
 */
export class GraphApiStandIn {
  readonly calls: GraphCall[] = [];
  readonly token = 'EAAGstandin-token';
  readonly phoneNumberId = '109876543210';
  readonly appSecret = 'standin-app-secret';
  readonly verifyToken = 'standin-verify-token';
  readonly version = 'v24.0';
  private readonly failures: GraphFailure[] = [];
  private server?: Server;
  private nextId = 1;
  /** Media ids handed out by the media endpoint; a test may drop one, as Meta does after 30 days. */
  readonly media = new Set<string>();
  /** Files users sent (voice notes), by media id, for GET /<media-id> and its download URL. */
  readonly incoming = new Map<string, { bytes: Uint8Array; mime: string }>();
  root = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.route(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.root = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.root;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  /** The settings that point the bot at this stand-in. */
  env(): Record<string, string> {
    return {
      WHATSAPP_CLOUD_TOKEN: this.token,
      WHATSAPP_CLOUD_PHONE_NUMBER_ID: this.phoneNumberId,
      WHATSAPP_CLOUD_APP_SECRET: this.appSecret,
      WHATSAPP_CLOUD_VERIFY_TOKEN: this.verifyToken,
      WHATSAPP_CLOUD_API_ROOT: this.root,
      WHATSAPP_CLOUD_API_VERSION: this.version,
    };
  }

  failNext(...failures: GraphFailure[]): void {
    this.failures.push(...failures);
  }

  /** Meta answers normally again: the refusals still queued are dropped. */
  recover(): void {
    this.failures.length = 0;
  }

  /** Every send attempt, accepted or not. */
  sends(to?: string): GraphCall[] {
    return this.calls.filter(
      (c) => c.method === 'POST' && c.path.endsWith('/messages') && (to === undefined || c.body?.to === to),
    );
  }

  /** Every upload to the media endpoint: the form's fields, and the file's name, size and hash. */
  uploads(): GraphCall[] {
    return this.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/media'));
  }

  /** The messages accepted for `to`, as sent. */
  delivered(to?: string): Array<Record<string, unknown>> {
    return this.sends(to)
      .filter((c) => c.messageId)
      .map((c) => c.body!);
  }

  async until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`timed out; calls: ${this.calls.map((c) => c.path).join(', ')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /**
   * Posts a webhook call to the bot as Meta does: the raw JSON, signed with the app secret.
   * `signature: null` sends none; a string sends that one instead.
   */
  post(
    url: string,
    body: unknown,
    options: { signature?: string | null; raw?: string } = {},
  ): Promise<Response> {
    const raw = options.raw ?? JSON.stringify(body);
    const signature =
      options.signature === undefined ? sign(raw, this.appSecret) : (options.signature ?? undefined);
    return fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(signature ? { 'x-hub-signature-256': signature } : {}),
      },
      body: raw,
    });
  }

  /** A webhook body for this number: messages from people, or statuses of what the bot sent. */
  body(change: { messages?: unknown[]; statuses?: unknown[]; phoneNumberId?: string }): unknown {
    const from = (change.messages?.[0] as { from?: string } | undefined)?.from;
    return {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: '100200300400500',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: {
                  display_phone_number: '15550001111',
                  phone_number_id: change.phoneNumberId ?? this.phoneNumberId,
                },
                ...(from ? { contacts: [{ profile: { name: 'Test User' }, wa_id: from }] } : {}),
                ...(change.messages ? { messages: change.messages } : {}),
                ...(change.statuses ? { statuses: change.statuses } : {}),
              },
            },
          ],
        },
      ],
    };
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://standin');
    const body = await readBody(req);
    const call: GraphCall = {
      method: req.method ?? 'GET',
      path: url.pathname,
      auth: req.headers.authorization,
      body,
    };
    this.calls.push(call);
    const reply = (status: number, json: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(json));
    };
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      return reply(401, {
        error: {
          message: 'Invalid OAuth access token.',
          type: 'OAuthException',
          code: 190,
          fbtrace_id: 'A1',
        },
      });
    }
    const download = /^\/download\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && download) {
      const file = this.incoming.get(decodeURIComponent(download[1]!));
      if (!file) return reply(404, { error: { message: 'Not found', code: 100 } });
      res.writeHead(200, { 'content-type': file.mime }).end(Buffer.from(file.bytes));
      return;
    }
    const mediaId = new RegExp(`^/${this.version}/([A-Za-z0-9_.-]+)$`).exec(url.pathname)?.[1];
    if (req.method === 'GET' && mediaId && mediaId !== this.phoneNumberId) {
      const file = this.incoming.get(mediaId);
      if (!file)
        return reply(400, {
          error: { message: 'Unsupported get request', type: 'GraphMethodException', code: 100 },
        });
      return reply(200, {
        messaging_product: 'whatsapp',
        url: `${this.root}/download/${mediaId}`,
        mime_type: file.mime,
        file_size: file.bytes.length,
        id: mediaId,
      });
    }
    const base = `/${this.version}/${this.phoneNumberId}`;
    if (req.method === 'GET' && url.pathname === base) {
      return reply(200, { verified_name: 'Puente', quality_rating: 'GREEN', id: this.phoneNumberId });
    }
    if (req.method === 'POST' && url.pathname === `${base}/media`) {
      const file = body?.file as { size?: number; type?: string } | undefined;
      if (body?.messaging_product !== 'whatsapp' || !file?.size || !String(body.type).startsWith('audio/'))
        return reply(400, { error: { message: 'Invalid parameter', type: 'OAuthException', code: 100 } });
      const id = `${9000000000 + this.nextId++}`;
      this.media.add(id);
      return reply(200, { id });
    }
    if (req.method === 'POST' && url.pathname === `${base}/messages`) {
      const failure = this.failures.shift();
      if (failure) {
        return reply(
          failure.status,
          {
            error: {
              message: failure.message ?? 'refused',
              type: failure.type ?? 'OAuthException',
              code: failure.code,
              error_data: { messaging_product: 'whatsapp', details: failure.message ?? 'refused' },
              fbtrace_id: 'A2',
            },
          },
          failure.retryAfter ? { 'retry-after': String(failure.retryAfter) } : {},
        );
      }
      if (body?.messaging_product !== 'whatsapp' || (!body.to && !body.recipient) || !body.type) {
        return reply(400, { error: { message: 'Invalid parameter', type: 'OAuthException', code: 100 } });
      }
      const audio = body.type === 'audio' ? (body.audio as { id?: string } | undefined) : undefined;
      if (audio && !this.media.has(String(audio.id))) {
        return reply(400, {
          error: { message: 'Media upload error', type: 'OAuthException', code: 131053 },
        });
      }
      call.messageId = `wamid.standin${this.nextId++}`;
      return reply(200, {
        messaging_product: 'whatsapp',
        contacts: [{ input: body.to, wa_id: body.to }],
        messages: [{ id: call.messageId }],
      });
    }
    return reply(404, { error: { message: 'Unknown path', type: 'GraphMethodException', code: 100 } });
  }
}

export function sign(raw: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}

/** JSON, or a multipart form (a media upload) with its file as name, size, type and hash. */
async function readBody(req: IncomingMessage): Promise<Record<string, unknown> | null> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks);
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
    const out: Record<string, unknown> = {};
    for (const [key, value] of form.entries()) {
      if (typeof value === 'string') out[key] = value;
      else {
        const bytes = Buffer.from(await value.arrayBuffer());
        out[key] = {
          filename: value.name,
          size: bytes.length,
          type: value.type,
          sha256: createHash('sha256').update(bytes).digest('hex'),
        };
      }
    }
    return out;
  }
  const text = raw.toString('utf8');
  return text ? (JSON.parse(text) as Record<string, unknown>) : null;
}

let seq = 0;
const base = (from: string, at: number) => ({
  from,
  id: `wamid.in${++seq}.${Math.random().toString(36).slice(2, 8)}`,
  timestamp: String(Math.floor(at / 1000)),
});

/** Messages as the Cloud API's webhook carries them. */
export const wa = {
  text: (from: string, body: string, at = Date.now()) => ({
    ...base(from, at),
    type: 'text',
    text: { body },
  }),
  buttonReply: (from: string, id: string, title: string, at = Date.now()) => ({
    ...base(from, at),
    type: 'interactive',
    interactive: { type: 'button_reply', button_reply: { id, title } },
  }),
  listReply: (from: string, id: string, title: string, at = Date.now()) => ({
    ...base(from, at),
    type: 'interactive',
    interactive: { type: 'list_reply', list_reply: { id, title, description: '' } },
  }),
  voice: (from: string, at = Date.now()) => ({
    ...base(from, at),
    type: 'audio',
    audio: { id: 'media1', mime_type: 'audio/ogg; codecs=opus', sha256: 'x', voice: true },
  }),
  media: (from: string, type: 'image' | 'video' | 'document' | 'sticker', at = Date.now()) => ({
    ...base(from, at),
    type,
    [type]: { id: 'media2', mime_type: 'application/octet-stream', sha256: 'x' },
  }),
  location: (from: string, at = Date.now()) => ({
    ...base(from, at),
    type: 'location',
    location: { latitude: 14.9, longitude: -92.26, name: 'Parque', address: 'Centro' },
  }),
  /** The first message after a click on a click-to-WhatsApp ad. */
  referral: (from: string, body: string, sourceId: string, at = Date.now()) => ({
    ...base(from, at),
    type: 'text',
    text: { body },
    referral: {
      source_url: 'https://fb.me/ad',
      source_id: sourceId,
      source_type: 'ad',
      headline: 'Conoce tus derechos',
      body: 'Información gratuita',
      media_type: 'image',
      image_url: 'https://example.invalid/ad.jpg',
      ctwa_clid: 'ARAkLkA8rmlFeiCktEJQ',
    },
  }),
  status: (
    id: string,
    status: string,
    recipient: string,
    errors?: Array<{ code: number; title: string }>,
  ) => ({
    id,
    status,
    timestamp: String(Math.floor(Date.now() / 1000)),
    recipient_id: recipient,
    ...(errors ? { errors } : {}),
  }),
};
