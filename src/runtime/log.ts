import pino, { type Logger } from 'pino';

/**
 * Logs never carry phone numbers, chat ids or message text: callers log codes and counts,
 * and these paths are redacted in case an object slips through.
 */
export function createLogger(level: string, destination: NodeJS.WritableStream | number = 2): Logger {
  return pino(
    {
      level,
      base: undefined,
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
