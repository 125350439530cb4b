import type { Logger } from 'pino';
import type { Clock } from '../whatsapp/pacer.js';
import type { SendResult } from './api.js';
import type { CloudCounters } from './counters.js';
import { classifyError, type GraphFailure } from './errors.js';
import type { CloudHealth, CloudProblem } from './health.js';
import type { CloudAddress } from './incoming.js';
import type { AudioPayload, CloudPayload, QueuedPayload } from './outgoing.js';
import { sendDecision } from './window.js';

/** Why a message was not sent but kept back: the window, Meta's re-engagement refusal, or the channel's own state. */
export type HoldReason = 'window' | 'reengagement' | CloudProblem;

export type Outcome =
  | { status: 'sent'; messageId: string }
  /** Not sent because the person was forgotten (stop, quick exit) before it went. */
  | { status: 'dropped' }
  | { status: 'held'; reason: HoldReason }
  | { status: 'failed'; reason: 'undeliverable' | 'rejected' | 'retries'; code?: number };

/** A message kept back, reported so it can be sent later (as a template, or after the next message). */
export type Held = { userKey: string; reason: HoldReason; payload: QueuedPayload };

export type SendJob = {
  address: CloudAddress;
  /** The minute of the person's last message, for the 24-hour window; null when unknown. */
  lastInbound: number | null;
  payloads: QueuedPayload[];
};

/** Turns a recording into an audio message: an upload, or the media id of an earlier one. */
export type VoiceUploader = {
  /** `fresh` uploads again even when an id is kept. Null when the file cannot be uploaded. */
  resolve(file: string, fresh: boolean): Promise<{ payload: AudioPayload; cached: boolean } | null>;
  /** The kept id was refused: the next send uploads again. */
  forget(file: string): Promise<void>;
};

export type SenderOptions = {
  client: { send(address: CloudAddress, payload: CloudPayload): Promise<SendResult> };
  clock: Clock;
  health: CloudHealth;
  counters: CloudCounters;
  log: Logger;
  /** Tries per message, the first included, before giving up on a throttled or failing send. */
  maxAttempts?: number;
  onHeld?: (held: Held) => void;
  /** Recorded answers; without it they are not sent (the text always is). */
  voice?: VoiceUploader;
};

/**
 * The interim outgoing queue: one chain per person, so each person's messages go in order, and
 * retries with growing pauses when Meta throttles. It lives in memory; the outbox replaces it.
 * Never throws: every message ends sent, held or failed.
 */
export class CloudSender {
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly running = new Set<Promise<unknown>>();
  /** Bumped when a person is forgotten: what was queued for them before is not sent. */
  private readonly epochs = new Map<string, number>();

  constructor(private readonly options: SenderOptions) {}

  /** Queues messages for one person, after what is queued for them already. `chat` is their user key. */
  enqueue(chat: string, job: SendJob): Promise<Outcome[]> {
    const epoch = this.epochs.get(chat) ?? 0;
    const run = (this.chains.get(chat) ?? Promise.resolve()).then(() => this.deliver(chat, job, epoch));
    const tail = run.catch(() => undefined);
    this.chains.set(chat, tail);
    this.running.add(tail);
    void tail.then(() => {
      this.running.delete(tail);
      if (this.chains.get(chat) !== tail) return;
      this.chains.delete(chat);
      this.epochs.delete(chat);
    });
    return run;
  }

  /**
   * The person was forgotten (stop, quick exit): what is still queued for them, such as an
   * answer waiting out a throttle, is dropped, so nothing arrives after the goodbye.
   */
  cancel(chat: string): void {
    if (this.chains.has(chat)) this.epochs.set(chat, (this.epochs.get(chat) ?? 0) + 1);
  }

  /** Resolves when everything queued so far is sent, held or failed. */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running]);
  }

  private async deliver(chat: string, job: SendJob, epoch: number): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    // Once a part is held, the parts after it wait too, so they never arrive out of order.
    let heldFor: HoldReason | null = null;
    for (const payload of job.payloads) {
      const outcome: Outcome = heldFor
        ? this.hold(chat, heldFor, payload)
        : payload.type === 'voice'
          ? await this.sendVoice(chat, job, payload.voice.file, epoch)
          : await this.attempt(chat, job, payload, epoch);
      outcomes.push(outcome);
      if (outcome.status === 'held') heldFor = outcome.reason;
    }
    return outcomes;
  }

  private async attempt(chat: string, job: SendJob, payload: CloudPayload, epoch: number): Promise<Outcome> {
    const { client, clock, health, counters, log } = this.options;
    const maxAttempts = this.options.maxAttempts ?? 6;
    const kind = payload.type === 'template' ? 'template' : 'free-form';
    for (let attempt = 1; ; attempt++) {
      if ((this.epochs.get(chat) ?? 0) !== epoch) return { status: 'dropped' };
      // Checked before every try: a retry that waited past the window's end is not sent.
      if (sendDecision(kind, job.lastInbound, clock.now()) === 'hold')
        return this.hold(chat, 'window', payload);
      const result = await client.send(job.address, payload);
      if (result.ok) {
        if (health.recover())
          log.info({ code: 'whatsapp_cloud.recovered' }, 'whatsapp-cloud: sending works again');
        return { status: 'sent', messageId: result.messageId };
      }
      const f = result.failure;
      const action = classifyError(f, attempt);
      counters.failure('send', f.code ?? (f.httpStatus ? f.httpStatus : 'network'));
      log.warn(
        {
          code: 'whatsapp_cloud.send_failed',
          error: f.code,
          subcode: f.subcode,
          status: f.httpStatus,
          title: f.title,
          reason: f.detail,
          attempt,
          action: action.action,
        },
        'whatsapp-cloud: a message was refused',
      );
      switch (action.action) {
        case 'retry':
          if (attempt >= maxAttempts) return this.failed(f, 'retries');
          await clock.sleep(action.delayMs);
          continue;
        case 'hold':
          return this.hold(chat, action.reason, payload);
        case 'fail':
          return this.failed(f, action.reason);
        case 'stop':
          if (health.fail(action.reason, clock.now())) logStop(log, action.reason, f);
          return this.hold(chat, action.reason, payload);
      }
    }
  }

  /**
   * A recorded answer: uploaded once, then sent by its media id. A kept id Meta refuses (media
   * expire) is uploaded again once. A voice note that cannot go fails alone: the text went before it.
   */
  private async sendVoice(chat: string, job: SendJob, file: string, epoch: number): Promise<Outcome> {
    const voice = this.options.voice;
    if (!voice) return { status: 'failed', reason: 'rejected' };
    for (const fresh of [false, true]) {
      const resolved = await voice.resolve(file, fresh);
      if (!resolved) return { status: 'failed', reason: 'rejected' };
      const outcome = await this.attempt(chat, job, resolved.payload, epoch);
      if (outcome.status !== 'failed' || !resolved.cached) return outcome;
      await voice.forget(file);
    }
    return { status: 'failed', reason: 'rejected' };
  }

  private hold(chat: string, reason: HoldReason, payload: QueuedPayload): Outcome {
    this.options.counters.hold(reason);
    this.options.log.warn(
      { code: 'whatsapp_cloud.held', reason, kind: payload.type },
      reason === 'window'
        ? 'whatsapp-cloud: not sent, more than 24 hours after the last message; only a template can go now'
        : 'whatsapp-cloud: a message is held',
    );
    this.options.onHeld?.({ userKey: chat, reason, payload });
    return { status: 'held', reason };
  }

  private failed(f: GraphFailure, reason: 'undeliverable' | 'rejected' | 'retries'): Outcome {
    return f.code === undefined ? { status: 'failed', reason } : { status: 'failed', reason, code: f.code };
  }
}

/** The operator must act: say exactly what, once per change of state. */
export function logStop(log: Logger, problem: CloudProblem, f: GraphFailure): void {
  log.error(
    { code: `whatsapp_cloud.${problem}`, error: f.code, status: f.httpStatus },
    `whatsapp-cloud: ${PROBLEMS[problem]}. Messages are held until it is fixed.`,
  );
}

const PROBLEMS: Record<CloudProblem, string> = {
  token:
    'Meta refused the access token. Create a permanent token for a system user (see "WhatsApp Cloud API" in the README) and set WHATSAPP_CLOUD_TOKEN',
  permission:
    'the token lacks the whatsapp_business_messaging permission, or the app is not linked to this number. Give the system user access to the app and the WhatsApp account',
  account: 'Meta has locked or restricted the WhatsApp business account. See WhatsApp Manager for the reason',
};
