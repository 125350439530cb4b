import { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { createLogger } from '../../src/runtime/log.js';

/** A real logger whose JSON lines are kept for the test to read. */
export function captureLog(level = 'info'): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      done();
    },
  });
  return { log: createLogger(level, sink), lines };
}
