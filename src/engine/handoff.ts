import { clock, type HoursRule, opening } from '../handoff/hours.js';
import type { Turn } from './turn.js';
import type { OptionOut, Session, VoiceNote } from './types.js';

/** Unanswered questions in a row after which a person is offered. */
export const OFFER_AFTER_MISSES = 2;
/** The longest text passed on to staff in one message: a Telegram message holds 4096 characters. */
export const MAX_RELAY = 3500;

const DAY_KEYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/**
 * "Talk to a person": what the user is told before a person reads them (who, when, how to go
 * back), then whether staff may see the chat's last messages. Without a staff inbox, the
 * caller shows the help.human entry instead.
 */
export function askForPerson(turn: Turn): void {
  const settings = turn.ctx.handoff;
  if (!settings) return;
  if (turn.session.handoff) {
    turn.session.pending = { kind: 'handoff' };
    turn.say(turn.common('handoff.already'), turn.nav('menu'));
    return;
  }
  const lines = [turn.common('handoff.intro', { org: settings.org }), hoursText(turn, settings.hours)];
  lines.push(turn.common('handoff.menu'));
  turn.say(lines.join('\n\n'));
  turn.session.pending = { kind: 'consent' };
  turn.say(turn.common('handoff.consent'), consentOptions(turn));
}

export function consentOptions(turn: Turn): OptionOut[] {
  return [
    { id: 'share', label: turn.common('handoff.share') },
    { id: 'fresh', label: turn.common('handoff.fresh') },
    ...turn.nav('menu'),
  ];
}

/** The user answered the consent question: the conversation opens, in or out of hours. */
export function connect(turn: Turn, share: boolean): void {
  const settings = turn.ctx.handoff;
  if (!settings) return;
  const state = settings.hours ? opening(settings.hours, settings.tz, turn.now) : null;
  turn.session.handoff = { since: turn.now, relayed: false };
  turn.session.pending = { kind: 'handoff' };
  turn.session.misses = 0;
  turn.emit({ type: 'handoff.open', lang: turn.lang, history: share, outOfHours: state?.open === false });
  const key = share ? 'handoff.connectedShared' : 'handoff.connected';
  turn.say(turn.common(key, { org: settings.org }), turn.nav('menu'));
}

/** Free text while a person is on it: passed on, never searched. Only the first gets a receipt. */
export function relay(turn: Turn, raw: string): void {
  const text = raw.trim().slice(0, MAX_RELAY);
  if (!text) return;
  turn.emit({ type: 'handoff.relay-in', text });
  const open = turn.session.handoff;
  if (open && !open.relayed) {
    open.relayed = true;
    turn.say(turn.common('handoff.relayed'));
  }
}

/**
 * A voice note while a person is on it: passed on as audio, by the channel's reference. Only the
 * first message gets a receipt, as for text. A note without a reference cannot be fetched: the
 * user is asked to write instead.
 */
export function relayVoice(turn: Turn, voice: VoiceNote): void {
  if (!voice.media) return turn.say(turn.common('handoff.voiceFailed'));
  turn.emit({ type: 'handoff.relay-voice', voice });
  const open = turn.session.handoff;
  if (open && !open.relayed) {
    open.relayed = true;
    turn.say(turn.common('handoff.relayed'));
  }
}

/** Staff closed the conversation, or it was idle too long: the user is told and is back with the bot. */
export function closedByHost(turn: Turn, kind: 'staff-close' | 'idle-close'): boolean {
  if (!turn.session.handoff) return false;
  turn.session.handoff = undefined;
  turn.session.pending = null;
  turn.session.at = null;
  const idle = kind === 'idle-close';
  turn.emit({ type: 'handoff.close', reason: idle ? 'idle' : 'staff' });
  const hours = String(turn.ctx.handoff?.idleHours ?? 24);
  turn.say(turn.common(idle ? 'handoff.closedIdle' : 'handoff.closedByStaff', { hours }));
  return true;
}

/** True while the user's text goes to a person (also under an emergency card shown during it). */
export function relaying(s: Session): boolean {
  const p = s.pending;
  return p?.kind === 'handoff' || (p?.kind === 'safety' && p.prior?.kind === 'handoff');
}

/**
 * After every turn: a conversation with a person that the user walked away from (menu, back,
 * language, an old button) is closed and the user is told; one that ended with "stop" or a
 * quick exit is closed, and staff learn only that the user left.
 */
export function settle(turn: Turn, prior: Session | null, forgotten: boolean): void {
  if (forgotten) {
    if (prior?.handoff) turn.emit({ type: 'handoff.close', reason: 'left' });
    return;
  }
  if (turn.session.handoff && !relaying(turn.session)) {
    turn.session.handoff = undefined;
    turn.emit({ type: 'handoff.close', reason: 'user' });
    const at = turn.session.at;
    turn.messages.unshift({
      text: turn.common('handoff.back'),
      options: [],
      flow: at?.flow ?? null,
      step: at?.step ?? null,
    });
  }
}

/**
 * Two unanswered questions in a row: a person is offered, before the menu the user is left on.
 * Any turn with an answer starts the count again.
 */
export function countMisses(turn: Turn, missed: boolean): void {
  if (!missed) {
    if (turn.session.misses) turn.session.misses = 0;
    return;
  }
  const misses = (turn.session.misses ?? 0) + 1;
  if (misses < OFFER_AFTER_MISSES || !turn.ctx.handoff || turn.session.handoff) {
    turn.session.misses = misses;
    return;
  }
  turn.session.misses = 0;
  const at = turn.session.at;
  const offer = {
    text: turn.common('handoff.offer'),
    options: [],
    flow: at?.flow ?? null,
    step: at?.step ?? null,
  };
  turn.messages.splice(Math.max(0, turn.messages.length - 1), 0, offer);
}

/** The opening hours in the user's language, and when a person will read them. */
function hoursText(turn: Turn, hours: HoursRule[] | null): string {
  const settings = turn.ctx.handoff!;
  if (!hours) return turn.common('handoff.noHours');
  const zone = settings.tz.split('/').at(-1)!.replace(/_/g, ' ');
  const when = hours.map((r) => `${daysText(turn, r.days)} ${clock(r.from)}–${clock(r.to)}`).join(', ');
  const state = opening(hours, settings.tz, turn.now);
  if (state.open) return turn.common('handoff.openNow', { hours: when, zone, closes: clock(state.closes) });
  const next = state.opens
    ? state.opens.today
      ? turn.common('handoff.whenToday', { time: clock(state.opens.minute) })
      : turn.common('handoff.whenDay', {
          day: turn.common(`handoff.days.${DAY_KEYS[state.opens.day]!}`),
          time: clock(state.opens.minute),
        })
    : '';
  return turn.common('handoff.closedNow', { hours: when, zone, when: next });
}

function daysText(turn: Turn, days: number[]): string {
  const name = (d: number) => turn.common(`handoff.days.${DAY_KEYS[d]!}`);
  if (days.length === 1) return name(days[0]!);
  if (days.length === 7) return turn.common('handoff.everyDay');
  return turn.common('handoff.dayRange', { from: name(days[0]!), to: name(days.at(-1)!) });
}
