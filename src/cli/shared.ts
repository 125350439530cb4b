import { ZodError } from 'zod';
import { type Config, ConfigError, loadConfig } from '../config/env.js';
import { ContentError, formatProblem } from '../content/problems.js';
import { type App, createApp } from '../runtime/app.js';
import { createLogger } from '../runtime/log.js';
import { formatZodError } from './args.js';

/** The CLI logs warnings and worse to stderr, so that stdout stays clean for JSON. */
export function openApp(config: Config = loadConfig()): App {
  return createApp(config, createLogger(process.env.LOG_LEVEL ?? 'warn', 2));
}

/** Prints a clear message for the errors staff can fix, and exits. */
export function fail(e: unknown): never {
  if (e instanceof ContentError) {
    process.stderr.write(
      `The content has errors, so the bot cannot start:\n${e.problems
        .filter((p) => p.severity === 'error')
        .map(formatProblem)
        .join('\n')}\n`,
    );
  } else if (e instanceof ConfigError) {
    process.stderr.write(`${e.message}\n`);
  } else if (e instanceof ZodError) {
    process.stderr.write(`error: ${formatZodError(e)}\n`);
  } else {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  }
  process.exit(1);
}

export function writeJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
