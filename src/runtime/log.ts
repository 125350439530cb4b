import pino, { type Logger } from 'pino';
import { redactIds } from '../privacy/scrub.js';

/** Keys whose values come from libraries (error messages), not from our own codes and counts. */
const FOREIGN = ['err', 'error', 'reason'] as const;

/**
 * Logs never carry phone numbers, chat ids or message text: callers log codes and counts,
 * these paths are redacted in case an object slips through, and error text from libraries
 * loses the numbers and addresses it may quote.
 */
export function createLogger(level: string, destination: NodeJS.WritableStream | number = 2): Logger {
  return pino(
    {
      level,
      base: undefined,
      formatters: { log: scrubForeign },
      redact: {
        paths: [
          'text',
          'user',
          'chatId',
          'from',
          'phone',
          'number',
          '*.text',
          '*.from',
          '*.chat',
          '*.phone',
          'message',
          'update',
        ],
        censor: '[redacted]',
      },
    },
    typeof destination === 'number' ? pino.destination({ fd: destination, sync: true }) : destination,
  );
}

function scrubForeign(obj: Record<string, unknown>): Record<string, unknown> {
  let out = obj;
  for (const key of FOREIGN) {
    const value = obj[key];
    let safe: unknown = value;
    if (typeof value === 'string') safe = redactIds(value);
    else if (value instanceof Error)
      safe = { type: value.name, message: redactIds(value.message), stack: redactIds(value.stack ?? '') };
    if (safe !== value) out = { ...out, [key]: safe };
  }
  return out;
}
