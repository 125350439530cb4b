import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/runtime/log.js';

/** A real pino logger, configured as the bot's, that keeps every line it writes. */
export class LogSink {
  readonly chunks: string[] = [];
  readonly logger: Logger;

  constructor(level = 'trace') {
    const chunks = this.chunks;
    const stream = new Writable({
      write(chunk, _enc, done) {
        chunks.push(String(chunk));
        done();
      },
    });
    this.logger = createLogger(level, stream);
  }

  get text(): string {
    return this.chunks.join('');
  }

  /** The parsed lines, for checking codes and counts. */
  lines(): Array<Record<string, unknown>> {
    return this.text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}
