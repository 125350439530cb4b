import { existsSync } from 'node:fs';
import { extname } from 'node:path';
import { type Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { z } from 'zod';
import { parsePayload } from '../engine/payload.js';
import { parseSince } from '../report/report.js';
import { LANGS } from '../text/lang.js';

/**
 * One way for every command to refuse a bad flag value: one line that names the allowed
 * values, and exit code 2 (a usage error), never a stack trace. Commander prints the line.
 */
export const USAGE_EXIT = 2;

/** Applies to the program and every command registered after it. */
export function configureErrors(program: Command): Command {
  return program.exitOverride().configureOutput({ outputError: (text, write) => write(oneLine(text)) });
}

/**
 * Once every command is registered: an unknown option is answered with the options that
 * command does take, on the same line.
 */
export function listOptionsOnError(command: Command): void {
  for (const sub of command.commands) {
    const options = sub.options.flatMap((o) => (o.long ? [o.long] : []));
    sub.configureOutput({
      outputError: (text, write) =>
        write(
          oneLine(
            /^error: unknown option/.test(text)
              ? `${text.trimEnd()} Options: ${options.length ? options.join(', ') : 'none'}.`
              : text,
          ),
        ),
    });
    listOptionsOnError(sub);
  }
}

/** Commander puts its "Did you mean …?" on a second line; staff get one line. */
function oneLine(text: string): string {
  return `${text.trimEnd().replace(/\s*\n\s*/g, ' ')}\n`;
}

/** The exit code for an error commander raised: help asked for is a success, all else misuse. */
export function commanderExitCode(e: unknown): number | null {
  if (!(e instanceof CommanderError)) return null;
  return e.exitCode === 0 ? 0 : USAGE_EXIT;
}

/** A bad value found only once the command runs (an unknown flow): same line, same exit code. */
export function usageError(message: string): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(USAGE_EXIT);
}

export function langOption(description: string, extra: readonly string[] = []): Option {
  return new Option('--lang <lang>', description).choices([...LANGS, ...extra]);
}

/** A parser for a flag value, checked by a zod schema; the schema's message says what is allowed. */
export function parseWith<T>(schema: z.ZodType<T>) {
  return (value: string): T => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new InvalidArgumentError(formatZodError(parsed.error));
    return parsed.data;
  };
}

/** A zod error as one line: "path: message; path: message". */
export function formatZodError(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

export function parseSinceArg(value: string): number {
  try {
    return parseSince(value);
  } catch {
    throw new InvalidArgumentError('Use a period like 30d, 12h or 2w, or a date like 2026-01-31.');
  }
}

export function parsePayloadArg(value: string): string {
  if (!parsePayload(value))
    throw new InvalidArgumentError(
      'Use a deep-link payload <lang>_<flow>[_<campaign>], at most 64 characters, with lang es, en or ht (e.g. ht_labor or es_covid_leader-1).',
    );
  return value;
}

export function parseImageFile(value: string): string {
  const ext = extname(value).toLowerCase();
  if (ext !== '.png' && ext !== '.svg')
    throw new InvalidArgumentError('Use a file name ending in .png or .svg.');
  return value;
}

export function parseExistingFile(value: string): string {
  if (!existsSync(value)) throw new InvalidArgumentError('There is no such file.');
  return value;
}
