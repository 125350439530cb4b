import { z } from 'zod';
import type { GraphFailure } from './errors.js';
import type { CloudAddress } from './incoming.js';
import type { CloudPayload } from './outgoing.js';

export type GraphOptions = {
  /** e.g. https://graph.facebook.com, or a stand-in in tests. */
  root: string;
  /** e.g. v24.0 */
  version: string;
  phoneNumberId: string;
  token: string;
  timeoutMs?: number;
};

export type SendResult = { ok: true; messageId: string } | { ok: false; failure: GraphFailure };

const UploadedSchema = z.looseObject({ id: z.string().min(1) });
const SentSchema = z.looseObject({ messages: z.array(z.looseObject({ id: z.string().min(1) })).min(1) });
const ErrorBodySchema = z.looseObject({
  error: z.looseObject({
    code: z.number().int().optional(),
    error_subcode: z.number().int().optional(),
    type: z.string().optional(),
    message: z.string().optional(),
  }),
});
const MediaUrlSchema = z.looseObject({ url: z.url(), mime_type: z.string().optional() });
const PhoneNumberSchema = z.looseObject({
  verified_name: z.string().optional(),
  quality_rating: z.string().optional(),
});

/**
 * A thin client of the Graph API's messages endpoint. It never throws for a refused send: it
 * returns the failure as data (HTTP status, Meta's code), which errors.ts classifies for the
 * outbox: retry, hold or give up.
 */
export class GraphClient {
  private readonly base: string;

  constructor(
    private readonly options: GraphOptions,
    private readonly fetchFn: typeof fetch = fetch,
  ) {
    this.base = `${options.root.replace(/\/+$/, '')}/${options.version}/${options.phoneNumberId}`;
  }

  send(address: CloudAddress, payload: CloudPayload): Promise<SendResult> {
    return this.call('POST', `${this.base}/messages`, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      ...address,
      ...payload,
    }).then((r) => {
      if (!r.ok) return r;
      const sent = SentSchema.safeParse(r.body);
      return sent.success
        ? { ok: true as const, messageId: sent.data.messages[0]!.id }
        : { ok: false as const, failure: { httpStatus: r.status, title: 'unreadable answer' } };
    });
  }

  /** Uploads a file to the media endpoint; the id it answers with can be sent for 30 days. */
  async uploadMedia(
    bytes: Uint8Array,
    mime: string,
    filename: string,
  ): Promise<{ ok: true; id: string } | { ok: false; failure: GraphFailure }> {
    const form = new FormData();
    form.append('messaging_product', 'whatsapp');
    form.append('type', mime);
    form.append('file', new Blob([Uint8Array.from(bytes)], { type: mime }), filename);
    const r = await this.call('POST', `${this.base}/media`, form);
    if (!r.ok) return r;
    const up = UploadedSchema.safeParse(r.body);
    return up.success
      ? { ok: true, id: up.data.id }
      : { ok: false, failure: { httpStatus: r.status, title: 'unreadable answer' } };
  }

  /**
   * Downloads a file a user sent (a voice note) by its media id, into memory: the media endpoint
   * gives a short-lived URL, which answers only with the token.
   */
  async downloadMedia(
    mediaId: string,
  ): Promise<{ ok: true; bytes: Uint8Array; mime: string } | { ok: false; failure: GraphFailure }> {
    const root = this.options.root.replace(/\/+$/, '');
    const r = await this.call('GET', `${root}/${this.options.version}/${encodeURIComponent(mediaId)}`);
    if (!r.ok) return r;
    const media = MediaUrlSchema.safeParse(r.body);
    if (!media.success) return { ok: false, failure: { httpStatus: r.status, title: 'unreadable answer' } };
    try {
      const res = await this.fetchFn(media.data.url, {
        headers: { authorization: `Bearer ${this.options.token}` },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
      if (!res.ok) return { ok: false, failure: { httpStatus: res.status, title: 'media download refused' } };
      const bytes = new Uint8Array(await res.arrayBuffer());
      return {
        ok: true,
        bytes,
        mime: media.data.mime_type ?? res.headers.get('content-type') ?? 'audio/ogg',
      };
    } catch (e) {
      return {
        ok: false,
        failure: { httpStatus: 0, title: 'no answer', detail: e instanceof Error ? e.name : 'error' },
      };
    }
  }

  /** Checks the token and the number at start: the name Meta verified, and the number's quality. */
  async phoneNumber(): Promise<
    { ok: true; verifiedName?: string; quality?: string } | { ok: false; failure: GraphFailure }
  > {
    const r = await this.call('GET', `${this.base}?fields=verified_name,quality_rating`);
    if (!r.ok) return r;
    const info = PhoneNumberSchema.safeParse(r.body);
    return {
      ok: true,
      verifiedName: info.success ? info.data.verified_name : undefined,
      quality: info.success ? info.data.quality_rating : undefined,
    };
  }

  private async call(
    method: 'GET' | 'POST',
    url: string,
    body?: object | FormData,
  ): Promise<{ ok: true; status: number; body: unknown } | { ok: false; failure: GraphFailure }> {
    let res: Response;
    const form = body instanceof FormData;
    try {
      res = await this.fetchFn(url, {
        method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          // A form sets its own content type, with the boundary of its parts.
          ...(body && !form ? { 'content-type': 'application/json' } : {}),
        },
        body: form ? body : body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (e) {
      return {
        ok: false,
        failure: { httpStatus: 0, title: 'no answer', detail: e instanceof Error ? e.message : String(e) },
      };
    }
    const text = await res.text().catch(() => '');
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.ok) return { ok: true, status: res.status, body: json };
    const error = ErrorBodySchema.safeParse(json);
    const failure: GraphFailure = { httpStatus: res.status };
    if (error.success) {
      const e = error.data.error;
      if (e.code !== undefined) failure.code = e.code;
      if (e.error_subcode !== undefined) failure.subcode = e.error_subcode;
      if (e.type) failure.title = e.type;
      if (e.message) failure.detail = e.message;
    }
    const retryAfter = Number(res.headers.get('retry-after'));
    if (Number.isFinite(retryAfter) && retryAfter > 0) failure.retryAfterMs = retryAfter * 1000;
    return { ok: false, failure };
  }
}
