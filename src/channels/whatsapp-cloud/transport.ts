import type { Logger } from 'pino';
import { z } from 'zod';
import type { HoldReason } from '../../outbox/contract.js';
import type { SendOutcome, Transport } from '../../outbox/sender.js';
import type { Clock } from '../whatsapp/pacer.js';
import type { SendResult } from './api.js';
import type { CloudCounters } from './counters.js';
import { classifyError, type GraphFailure, UNDELIVERABLE_CODE } from './errors.js';
import type { CloudHealth, CloudProblem } from './health.js';
import type { CloudAddress } from './incoming.js';
import type { AudioPayload, CloudPayload, QueuedPayload } from './outgoing.js';
import type { TemplateMessage } from './templates.js';
import { sendDecision } from './window.js';

/**
 * One Cloud API message as the outbox keeps it (sealed): the message, or a recording to upload
 * when its turn comes.
 */
export const CloudOutgoingSchema = z.object({
  msg: z.custom<QueuedPayload>(
    (v) => typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string',
    'a Cloud API message',
  ),
  /**
   * When the person wrote the message this answers (ms): the 24-hour window counts from it even
   * when nothing is stored of them any more (the goodbye after "stop").
   */
  inbound: z.number().optional(),
  /** Someone in this process waits for the outcome (a staff reply, a template, a broadcast). */
  t: z.string().optional(),
  /** Someone in this process is told once this message has gone (staff, when held replies go). */
  n: z.string().optional(),
  /**
   * False for a message not worth sending late (a broadcast, replaced by a template): outside the
   * window it fails (reported as held to whoever waits) instead of waiting in the outbox.
   */
  hold: z.boolean().optional(),
  /**
   * A broadcast message: outside the window this template goes in its place (null: it went
   * with an earlier part of the same message, which is then done).
   */
  instead: z
    .custom<TemplateMessage>(
      (v) => typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'template',
      'a template message',
    )
    .nullable()
    .optional(),
});
export type CloudOutgoing = z.infer<typeof CloudOutgoingSchema>;

/** What happened to a message in the end, for whoever waits for it. */
export type Outcome =
  | { status: 'sent'; messageId: string }
  | { status: 'held'; reason: HoldReason | CloudProblem }
  | { status: 'failed'; reason: 'undeliverable' | 'rejected'; code?: number };

/** Turns a recording into an audio message: an upload, or the media id of an earlier one. */
export type VoiceUploader = {
  /** `fresh` uploads again even when an id is kept. Null when the file cannot be uploaded. */
  resolve(file: string, fresh: boolean): Promise<{ payload: AudioPayload; cached: boolean } | null>;
  /** The kept id was refused: the next send uploads again. */
  forget(file: string): Promise<void>;
};

export type CloudTransportOptions = {
  client: { send(address: CloudAddress, payload: CloudPayload): Promise<SendResult> };
  clock: Clock;
  health: CloudHealth;
  counters: CloudCounters;
  log: Logger;
  /** The minute of the person's last message as stored, or null (never wrote, or forgotten). */
  lastInbound: (user: string) => Promise<number | null>;
  /** Recorded answers; without it they are not sent (the text always is). */
  voice?: VoiceUploader;
  /** The final outcome of a message someone waits for (its `t`). */
  settled?: (ticket: string, outcome: Outcome) => void;
};

/**
 * Sends outbox rows through the Graph API and says what Meta's answer means for the outbox. The
 * 24-hour window is checked here, at send time, by the injected clock: a free-form message
 * outside it is never attempted, it is held until the person writes again.
 */
export class CloudTransport implements Transport {
  constructor(private readonly options: CloudTransportOptions) {}

  async send(address: string, raw: unknown): Promise<SendOutcome> {
    const parsed = CloudOutgoingSchema.safeParse(raw);
    if (!parsed.success) return { ok: false, kind: 'rejected', reason: 'unreadable payload' };
    const out = parsed.data;
    if (out.msg.type !== 'template') {
      const stored = await this.options.lastInbound(address);
      const last = Math.max(out.inbound ?? Number.NEGATIVE_INFINITY, stored ?? Number.NEGATIVE_INFINITY);
      const decision = sendDecision(
        'free-form',
        Number.isFinite(last) ? last : null,
        this.options.clock.now(),
      );
      if (decision === 'hold') return this.hold(out, 'window', addressOf(address));
    }
    const to = addressOf(address);
    if (out.msg.type === 'voice') return this.sendVoice(out, to, out.msg.voice.file);
    return this.attempt(out, to, out.msg);
  }

  private async attempt(out: CloudOutgoing, to: CloudAddress, payload: CloudPayload): Promise<SendOutcome> {
    const { client, health, counters, log } = this.options;
    const result = await client.send(to, payload);
    if (result.ok) {
      if (health.recover())
        log.info({ code: 'whatsapp_cloud.recovered' }, 'whatsapp-cloud: sending works again');
      this.settle(out, { status: 'sent', messageId: result.messageId });
      return { ok: true, ids: [result.messageId] };
    }
    const f = result.failure;
    const action = classifyError(f, 1);
    counters.failure('send', f.code ?? (f.httpStatus ? f.httpStatus : 'network'));
    log.warn(
      {
        code: 'whatsapp_cloud.send_failed',
        error: f.code,
        subcode: f.subcode,
        status: f.httpStatus,
        title: f.title,
        reason: f.detail,
        action: action.action,
      },
      'whatsapp-cloud: a message was refused',
    );
    switch (action.action) {
      case 'retry':
        // Throttling concerns the whole number: the channel pauses. A passing fault retries this
        // message with growing pauses, for up to OUTBOX_RETRY_H.
        return action.reason === 'throttled'
          ? { ok: false, kind: 'retry_after', seconds: Math.max(1, Math.ceil(action.delayMs / 1000)) }
          : { ok: false, kind: 'transient', reason: `${f.httpStatus ?? ''} ${f.code ?? ''}`.trim() };
      case 'hold':
        return this.hold(out, action.reason, to);
      case 'fail': {
        const failed: Outcome =
          f.code === undefined
            ? { status: 'failed', reason: action.reason }
            : { status: 'failed', reason: action.reason, code: f.code };
        this.settle(out, failed);
        return {
          ok: false,
          kind: 'rejected',
          reason: `${f.code ?? f.httpStatus ?? ''} ${f.title ?? ''}`.trim(),
          fail: f.code === UNDELIVERABLE_CODE ? 'undeliverable' : 'rejected',
        };
      }
      case 'stop':
        if (health.fail(action.reason, this.options.clock.now())) logStop(log, action.reason, f);
        this.settle(out, { status: 'held', reason: action.reason });
        return { ok: false, kind: 'unauthorized' };
    }
  }

  /**
   * A recorded answer: uploaded once, then sent by its media id. A kept id Meta refuses (media
   * expire) is uploaded again once. A voice note that cannot go fails alone: the text went before it.
   */
  private async sendVoice(out: CloudOutgoing, to: CloudAddress, file: string): Promise<SendOutcome> {
    const voice = this.options.voice;
    const refused: SendOutcome = { ok: false, kind: 'rejected', reason: 'recording not sent' };
    if (!voice) return refused;
    for (const fresh of [false, true]) {
      const resolved = await voice.resolve(file, fresh);
      if (!resolved) return refused;
      const outcome = await this.attempt(out, to, resolved.payload);
      if (outcome.ok || outcome.kind !== 'rejected' || !resolved.cached) return outcome;
      await voice.forget(file);
    }
    return refused;
  }

  private hold(out: CloudOutgoing, reason: HoldReason, to: CloudAddress): SendOutcome | Promise<SendOutcome> {
    // A broadcast outside the window: its template instead, sent now, never held.
    if (out.instead !== undefined && (reason === 'window' || reason === 'reengagement')) {
      if (out.instead === null) return { ok: true, ids: [] };
      const { instead: template, ...rest } = out;
      return this.attempt(rest, to, template);
    }
    this.settle(out, { status: 'held', reason });
    if (out.hold === false) return { ok: false, kind: 'rejected', reason };
    return { ok: false, kind: 'held', reason };
  }

  private settle(out: CloudOutgoing, outcome: Outcome): void {
    if (out.t) this.options.settled?.(out.t, outcome);
  }
}

/** The user id of a person known only by a business-scoped id carries a prefix: see incoming.ts. */
export function addressOf(user: string): CloudAddress {
  return user.startsWith('bsuid:') ? { recipient: user.slice('bsuid:'.length) } : { to: user };
}

/** The operator must act: say exactly what, once per change of state. */
export function logStop(log: Logger, problem: CloudProblem, f: GraphFailure): void {
  log.error(
    { code: `whatsapp_cloud.${problem}`, error: f.code, status: f.httpStatus },
    `whatsapp-cloud: ${PROBLEMS[problem]}. Messages wait in the outbox until it is fixed.`,
  );
}

const PROBLEMS: Record<CloudProblem, string> = {
  token:
    'Meta refused the access token. Create a permanent token for a system user (see "WhatsApp Cloud API" in the README) and set WHATSAPP_CLOUD_TOKEN',
  permission:
    'the token lacks the whatsapp_business_messaging permission, or the app is not linked to this number. Give the system user access to the app and the WhatsApp account',
  account: 'Meta has locked or restricted the WhatsApp business account. See WhatsApp Manager for the reason',
};
