import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { type Config, ROOT } from '../../config/env.js';

/**
 * Where WhatsApp Web stands, for the person holding the phone. The bot writes it; the studio
 * reads it. It holds a state and a time, never a number, a name or a message.
 */
export const WA_STATES = [
  'starting',
  'qr',
  'authenticated',
  'ready',
  'disconnected',
  'auth_failure',
  'restarting',
  'stopped',
] as const;
export const WaStateSchema = z.object({ state: z.enum(WA_STATES), at: z.iso.datetime() });
export type WaState = z.infer<typeof WaStateSchema>;
export type WaStateName = WaState['state'];

/** The login folder, and beside it the latest pairing QR code and the state file. */
export function whatsappFiles(config: Pick<Config, 'WHATSAPP_SESSION_DIR'>): {
  sessionDir: string;
  qrPng: string;
  stateFile: string;
} {
  const sessionDir = isAbsolute(config.WHATSAPP_SESSION_DIR)
    ? config.WHATSAPP_SESSION_DIR
    : join(ROOT, config.WHATSAPP_SESSION_DIR);
  return {
    sessionDir,
    qrPng: join(dirname(sessionDir), 'whatsapp-qr.png'),
    stateFile: join(dirname(sessionDir), 'whatsapp-state.json'),
  };
}

/** Written whole and renamed, so a reader never sees half a file. */
export function writeWaState(file: string, state: WaStateName, at: Date): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ state, at: at.toISOString() } satisfies WaState)}\n`);
  renameSync(tmp, file);
}

/** The last state written, or null when WhatsApp has not run here (or the file is not ours). */
export function readWaState(file: string): WaState | null {
  try {
    const parsed = WaStateSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
