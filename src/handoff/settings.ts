import type { Config } from '../config/env.js';
import type { HandoffSettings } from '../engine/context.js';

/** A staff inbox is configured when the group and the organisation's name are set. */
export function handoffEnabled(c: Pick<Config, 'STAFF_CHAT_ID' | 'ORG_NAME'>): boolean {
  return Boolean(c.STAFF_CHAT_ID && c.ORG_NAME);
}

export function handoffSettings(c: Config): HandoffSettings | null {
  if (!handoffEnabled(c)) return null;
  return {
    org: c.ORG_NAME!,
    hours: c.HANDOFF_HOURS ?? null,
    tz: c.HANDOFF_TZ,
    idleHours: c.HANDOFF_IDLE_H,
  };
}
