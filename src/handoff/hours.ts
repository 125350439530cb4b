import { z } from 'zod';

/**
 * Opening hours as staff write them in HANDOFF_HOURS: day ranges and time ranges, several
 * separated by commas or semicolons, e.g. `Mon-Fri 08:00-17:00, Sat 09:00-12:00`.
 * Everything here is pure: the clock and the time zone come from the caller.
 */
export const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Day = (typeof DAYS)[number];

export const HoursRuleSchema = z.object({
  days: z.array(z.number().int().min(0).max(6)).min(1),
  /** Minutes after midnight, local time. */
  from: z.number().int().min(0).max(1440),
  to: z.number().int().min(0).max(1440),
});
export type HoursRule = z.infer<typeof HoursRuleSchema>;

const DAY_NAMES: Record<string, number> = {
  sun: 0,
  sunday: 0,
  dom: 0,
  domingo: 0,
  mon: 1,
  monday: 1,
  lun: 1,
  lunes: 1,
  tue: 2,
  tuesday: 2,
  mar: 2,
  martes: 2,
  wed: 3,
  wednesday: 3,
  mie: 3,
  miercoles: 3,
  thu: 4,
  thursday: 4,
  jue: 4,
  jueves: 4,
  fri: 5,
  friday: 5,
  vie: 5,
  viernes: 5,
  sat: 6,
  saturday: 6,
  sab: 6,
  sabado: 6,
};

function dayOf(word: string): number | null {
  const key = word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  return DAY_NAMES[key] ?? null;
}

function minutes(hhmm: string): number | null {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 24 || min > 59 || (h === 24 && min > 0)) return null;
  return h * 60 + min;
}

/** Parses HANDOFF_HOURS; throws an Error that says what is wrong and what it should look like. */
export function parseHours(text: string): HoursRule[] {
  const rules: HoursRule[] = [];
  for (const part of text
    .split(/[,;]/)
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([\p{L}]+)(?:\s*-\s*([\p{L}]+))?\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})$/u.exec(part);
    const bad = `"${part}" is not like "Mon-Fri 08:00-17:00" (days, then hours as HH:MM-HH:MM)`;
    if (!m) throw new Error(bad);
    const first = dayOf(m[1]!);
    const last = m[2] ? dayOf(m[2]) : first;
    const from = minutes(m[3]!);
    const to = minutes(m[4]!);
    if (first === null || last === null) throw new Error(`${bad}: unknown day`);
    if (from === null || to === null || to <= from) throw new Error(`${bad}: the hours must go forward`);
    const days: number[] = [];
    for (let d = first; ; d = (d + 1) % 7) {
      days.push(d);
      if (d === last) break;
    }
    rules.push({ days, from, to });
  }
  if (!rules.length) throw new Error('HANDOFF_HOURS is empty: write for example "Mon-Fri 08:00-17:00"');
  return rules;
}

/** The weekday and minute of `now` in a time zone. */
export function localTime(now: number, tz: string): { day: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(now));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = dayOf(get('weekday')) ?? 0;
  return { day, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

export type Opening =
  | { open: true; closes: number }
  | { open: false; opens: { day: number; minute: number; today: boolean } | null };

/** Whether a person is at work at `now`, and if not, when the next opening is. */
export function opening(rules: readonly HoursRule[], tz: string, now: number): Opening {
  const { day, minute } = localTime(now, tz);
  for (const r of rules) {
    if (r.days.includes(day) && minute >= r.from && minute < r.to) return { open: true, closes: r.to };
  }
  for (let ahead = 0; ahead < 8; ahead++) {
    const d = (day + ahead) % 7;
    const starts = rules
      .filter((r) => r.days.includes(d) && (ahead > 0 || r.from > minute))
      .map((r) => r.from)
      .sort((a, b) => a - b);
    if (starts.length) return { open: false, opens: { day: d, minute: starts[0]!, today: ahead === 0 } };
  }
  return { open: false, opens: null };
}

export function clock(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}
