import type { Turn } from './turn.js';
import type { ConsentHow, OptionOut } from './types.js';

/**
 * Subscriptions to news on a topic. Nobody is subscribed without answering yes to a question
 * that names the topic; the choices are global ids ("subs:…"), so a button on an older message
 * still does what it says.
 */

export const SUBS_PREFIX = 'subs:';

/** Where to go after a subscription step: the runner's own moves. */
export type SubsNav = { back: () => void; home: () => void };

const HOWS: readonly ConsentHow[] = ['command', 'offer', 'help'];

function topicName(turn: Turn, id: string): string | null {
  return turn.ctx.topics.find((t) => t.id === id)?.name[turn.lang] ?? null;
}

/** The offer shown among an FAQ answer's options, when its topic has news and the user lacks it. */
export function offerOption(turn: Turn, faqId: string): OptionOut | null {
  const topic = turn.ctx.topicOfFaq(faqId);
  if (!topic || turn.subscribed.has(topic) || !topicName(turn, topic)) return null;
  return { id: `${SUBS_PREFIX}offer:${topic}`, label: turn.common('subs.offer') };
}

/** The entry in help's reply: a button beside the help text. */
export function helpOption(turn: Turn): OptionOut[] {
  if (!turn.ctx.topics.length) return [];
  return [{ id: `${SUBS_PREFIX}help`, label: turn.common('subs.helpButton') }];
}

/** The list of topics to choose from. */
export function chooseTopic(turn: Turn, how: ConsentHow): void {
  if (!turn.ctx.topics.length) {
    turn.session.pending = { kind: 'end' };
    turn.say(turn.common('subs.noTopics'), turn.nav('menu'));
    return;
  }
  turn.session.pending = { kind: 'topics', how };
  turn.say(turn.common('subs.choose'), topicOptions(turn, how));
}

export function topicOptions(turn: Turn, how: ConsentHow): OptionOut[] {
  const options = turn.ctx.topics.map((t) => ({
    id: `${SUBS_PREFIX}topic:${t.id}:${how}`,
    label: turn.subscribed.has(t.id) ? `✅ ${t.name[turn.lang]}` : t.name[turn.lang],
  }));
  return [...options, ...turn.exits()];
}

/** The yes/no question; already subscribed, the user is told so instead. */
export function askConsent(turn: Turn, topic: string, how: ConsentHow, nav: SubsNav): void {
  const name = topicName(turn, topic);
  if (!name) return chooseTopic(turn, how);
  if (turn.subscribed.has(topic)) {
    turn.session.pending = null;
    turn.say(turn.common('subs.already', { topic: name }));
    return nav.back();
  }
  turn.session.pending = { kind: 'subscribe', topic, how };
  turn.say(turn.common('subs.consent', { topic: name }), subsConsentOptions(turn, topic, how));
}

export function subsConsentOptions(turn: Turn, topic: string, how: ConsentHow): OptionOut[] {
  return [
    { id: `${SUBS_PREFIX}yes:${topic}:${how}`, label: turn.common('subs.yes') },
    { id: `${SUBS_PREFIX}no`, label: turn.common('subs.no') },
  ];
}

/** "My subscriptions": each topic with a way to leave it, and a way to add one. */
export function listSubscriptions(turn: Turn): void {
  if (!turn.subscribed.size) {
    turn.say(turn.common('subs.empty'));
    return chooseTopic(turn, 'command');
  }
  turn.session.pending = { kind: 'subs' };
  turn.say(`${turn.common('subs.list')}\n${subscribedNames(turn)}`, subsOptions(turn));
}

function subscribedNames(turn: Turn): string {
  return turn.ctx.topics
    .filter((t) => turn.subscribed.has(t.id))
    .map((t) => `• ${t.name[turn.lang]}`)
    .join('\n');
}

export function subsOptions(turn: Turn): OptionOut[] {
  const leave = turn.ctx.topics
    .filter((t) => turn.subscribed.has(t.id))
    .map((t) => ({
      id: `${SUBS_PREFIX}leave:${t.id}`,
      label: turn.common('subs.leave', { topic: t.name[turn.lang] }),
    }));
  const more = turn.ctx.topics.some((t) => !turn.subscribed.has(t.id))
    ? [{ id: `${SUBS_PREFIX}add`, label: turn.common('subs.add') }]
    : [];
  return [...leave, ...more, ...turn.nav('menu')];
}

/** A choice whose id starts with "subs:", wherever its button was. */
export function pickSubs(turn: Turn, id: string, nav: SubsNav): void {
  const [, verb, topic, howText] = id.split(':');
  const how = HOWS.find((h) => h === howText) ?? 'command';
  switch (verb) {
    case 'help':
      return chooseTopic(turn, 'help');
    case 'add':
      return chooseTopic(turn, 'command');
    case 'offer':
      return topic ? askConsent(turn, topic, 'offer', nav) : chooseTopic(turn, 'offer');
    case 'topic':
      return topic ? askConsent(turn, topic, how, nav) : chooseTopic(turn, how);
    case 'yes': {
      const name = topic ? topicName(turn, topic) : null;
      if (!topic || !name) return chooseTopic(turn, how);
      turn.session.pending = null;
      if (!turn.subscribed.has(topic)) {
        turn.emit({ type: 'subscribe', topic, how });
        turn.subscribed.add(topic);
      }
      turn.say(turn.common('subs.done', { topic: name }));
      return nav.back();
    }
    case 'no':
      turn.session.pending = null;
      turn.say(turn.common('subs.declined'));
      return nav.back();
    case 'leave': {
      const name = topic ? topicName(turn, topic) : null;
      turn.session.pending = null;
      if (topic && turn.subscribed.has(topic)) {
        turn.emit({ type: 'unsubscribe', topic });
        turn.subscribed.delete(topic);
      }
      turn.say(turn.common('subs.left', { topic: name ?? topic ?? '' }));
      if (turn.subscribed.size) return listSubscriptions(turn);
      return nav.home();
    }
    default:
      return nav.home();
  }
}
