import type { Logger } from 'pino';
import type { OutboxStore } from '../../outbox/contract.js';
import type { CloudCounters } from './counters.js';
import { classifyError } from './errors.js';
import { type CloudStatus, convertCloudStatus } from './incoming.js';

export type ReceiptDeps = {
  channel: string;
  outbox: Pick<OutboxStore, 'status'>;
  /** The keyed hash a sent message's row is kept under. */
  refOf: (messageId: string) => string;
  counters: CloudCounters;
  log: Logger;
  /** A failed delivery, by Meta's error code, for /metrics. */
  failed?: (code: number) => void;
  onStatus?: (status: CloudStatus) => void;
};

/**
 * One delivery report (a status callback). The sent message's row is found by the hash of its
 * id: delivered or read, it goes; failed, it is marked failed with Meta's error code. Failures
 * are counted by code. False when the outbox could not be updated: Meta delivers the call again.
 */
export async function applyReceipt(raw: unknown, deps: ReceiptDeps): Promise<boolean> {
  const status = convertCloudStatus(raw);
  if ('ignore' in status) {
    deps.log.debug({ reason: status.ignore }, 'whatsapp-cloud status ignored');
    return true;
  }
  const errors = status.errors.length ? status.errors : [{ code: 0, title: 'no error given' }];
  if (status.status === 'failed') {
    for (const e of errors) {
      deps.counters.failure('status', e.code);
      deps.failed?.(e.code);
      deps.log.warn(
        {
          code: 'whatsapp_cloud.delivery_failed',
          error: e.code,
          title: e.title,
          action: classifyError(e, 1).action,
        },
        'whatsapp-cloud: a sent message was not delivered',
      );
    }
  }
  // "sent" says nothing the send's own answer did not: the row waits for what follows.
  if (status.status !== 'sent') {
    try {
      await deps.outbox.status(
        deps.channel,
        deps.refOf(status.messageId),
        status.status,
        status.status === 'failed' ? `status:${errors[0]!.code}` : undefined,
      );
    } catch (e) {
      deps.log.warn(
        { code: 'whatsapp_cloud.status_not_kept', reason: e instanceof Error ? e.message : String(e) },
        'whatsapp-cloud: a delivery report could not be written to the outbox',
      );
      return false;
    }
  }
  deps.onStatus?.(status);
  return true;
}
