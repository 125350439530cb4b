import type { Flow } from '../flows/schema.js';
import { commonText } from '../i18n/keys.js';
import { foldScrubbed, scrub } from '../privacy/scrub.js';
import { LANGS } from '../text/lang.js';
import { clean, hasWords, parseNumber } from '../text/normalize.js';
import {
  type CardOption,
  cardOptions,
  HUMAN_FAQ,
  isCardOption,
  menuPending,
  showCard,
  voiceOptions,
} from './card.js';
import type { Command, EngineContext, LangHint, SmallTalk } from './context.js';
import { faqOptions, listenFaq, showFaq, suggestOptions } from './faq-present.js';
import {
  askForPerson,
  closedByHost,
  connect,
  consentOptions,
  countMisses,
  MAX_RELAY,
  relay,
  relayVoice,
  settle,
} from './handoff.js';
import { type Match, matchOption } from './match.js';
import { menuOptions } from './menu-options.js';
import { findPayload, parsePayload } from './payload.js';
import { enterStep } from './steps/index.js';
import {
  askConsent,
  chooseTopic,
  helpOption,
  listSubscriptions,
  pickSubs,
  SUBS_PREFIX,
  type SubsNav,
  subsConsentOptions,
  subsOptions,
  topicOptions,
} from './subscribe.js';
import { Turn } from './turn.js';
import {
  type Event,
  type MenuPending,
  newSession,
  type OptionOut,
  type Pending,
  type Position,
  type Session,
  type TurnResult,
  type VoiceNote,
} from './types.js';

/** More steps than this in one turn means a flow that loops on itself. */
export const MAX_STEPS_PER_TURN = 50;
/** Longer messages are cut before any matching: nobody types a question this long. */
export const MAX_INPUT = 500;
const MAX_VAR = 100;

/**
 * The engine: (flows, session, event) → (session, messages, effects). It never sends,
 * stores or logs anything itself; the host applies what it returns.
 */
export function runTurn(
  ctx: EngineContext,
  prior: Session | null,
  event: Event,
  hint?: LangHint,
  now = 0,
  /** The topics the user gets news on, as stored: the engine lists them and never offers them again. */
  subscribed: readonly string[] = [],
): TurnResult {
  const session = prior ? copySession(prior) : newSession(hint?.sure ? hint.lang : null);
  const turn = new Turn(ctx, session, subscribed);
  turn.now = now;
  // A click on an ad tags the conversation as a link's campaign does; a payload in the text still wins.
  if ('campaign' in event && event.campaign) turn.session.campaign = event.campaign;
  if (!prior) turn.emit({ type: 'metric', name: 'conversation_started' });
  if ('handoff' in event) {
    closedByHost(turn, event.handoff);
    if (turn.messages.length) home(turn);
  } else if ('start' in event) {
    start(turn, event.start, !prior, hint);
  } else if ('media' in event) {
    media(turn);
  } else if ('voice' in event) {
    voiceNote(turn, event.voice, !prior);
  } else if ('choice' in event) {
    choose(turn, event.choice, event.at, !prior, hint);
  } else {
    text(turn, event.text, !prior, hint);
  }
  const forgotten = turn.effects.some((e) => e.type === 'forget');
  settle(turn, prior, forgotten);
  if (!forgotten && !('handoff' in event))
    countMisses(
      turn,
      turn.effects.some((e) => e.type === 'unanswered'),
    );
  return { session: forgotten ? null : turn.session, messages: turn.messages, effects: turn.effects };
}

/** The engine never changes the caller's session: it works on a copy. */
function copySession(s: Session): Session {
  return {
    ...s,
    at: s.at && { ...s.at },
    pending: s.pending && copyPending(s.pending),
    history: s.history.map((p) => ({ ...p })),
    vars: { ...s.vars },
    handoff: s.handoff && { ...s.handoff },
  };
}

function copyPending(p: Pending): Pending {
  if (p.kind === 'safety' || p.kind === 'voice')
    return { kind: p.kind, prior: p.prior && (copyPending(p.prior) as MenuPending) };
  if (p.kind === 'suggest') return { ...p, ids: [...p.ids] };
  return { ...p };
}

function start(turn: Turn, payloadText: string, isNew: boolean, hint?: LangHint): void {
  const payload = parsePayload(payloadText);
  if (!payload) {
    // A bare /start has no words to read the language from: the app's language is the best guess.
    turn.session.lang ??= hint?.lang ?? null;
    if (!turn.session.lang) return askLanguage(turn);
    if (isNew) turn.say(turn.common('welcome'));
    return home(turn);
  }
  turn.session.lang = payload.lang;
  if (payload.campaign) turn.session.campaign = payload.campaign;
  if (isNew) turn.say(turn.common('welcome'));
  if (payload.flow === 'main' || !turn.flow(payload.flow)) return home(turn);
  resetTo(turn, []);
  const main = turn.flow('main');
  if (main) turn.session.history = [{ flow: 'main', step: main.start }];
  startFlow(turn, payload.flow);
}

function media(turn: Turn): void {
  if (!turn.session.lang) return askLanguage(turn);
  // A person reads text only too: say so, and stay with them.
  if (turn.session.pending?.kind === 'handoff') return turn.say(turn.common('handoff.textOnly'));
  turn.say(turn.common('media.textOnly'));
  if (turn.session.at || turn.session.pending) return redisplay(turn);
  home(turn);
}

/**
 * A voice note: the bot cannot listen yet, and says so in the user's language (in all three before
 * it is known), then offers a person and the menu. Counted per day and language for the report.
 * Sending one turns recorded answers on, unless the user chose otherwise.
 */
function voiceNote(turn: Turn, voice: VoiceNote, isNew: boolean): void {
  turn.emit({ type: 'metric', name: 'voice_note' });
  turn.session.voice = true;
  // A person is on it: the voice note goes to them as audio, as text does.
  if (turn.session.pending?.kind === 'handoff' && turn.session.handoff) return relayVoice(turn, voice);
  if (!turn.session.lang) {
    turn.say(LANGS.map((l) => commonText(turn.ctx.t, l, 'voice.notYet')).join('\n\n'));
    return startFlow(turn, 'language');
  }
  if (isNew) turn.say(turn.common('welcome'));
  const pending = turn.session.pending;
  turn.session.pending = { kind: 'voice', prior: menuPending(pending) };
  turn.say(turn.common('voice.notYet'), voiceOptions(turn));
}

function choose(turn: Turn, choice: string, at: Position | undefined, isNew: boolean, hint?: LangHint): void {
  // A quick exit is never questioned, whichever message its button was on.
  if (choice === 'exit') return forget(turn, 'exit');
  if (choice.startsWith(SUBS_PREFIX)) {
    turn.session.lang ??= hint?.lang ?? null;
    return pickSubs(turn, choice, subsNav(turn));
  }
  // A button from an older message: go back to the menu it belongs to, then take the choice there.
  if (
    at &&
    (at.flow !== turn.session.at?.flow || at.step !== turn.session.at?.step) &&
    turn.step(at)?.type === 'menu'
  ) {
    turn.session.at = at;
    turn.session.pending = null;
  }
  const options = currentOptions(turn);
  const option = options?.find((o) => o.id === choice);
  if (option) return pick(turn, option);
  // A button id is never passed on to a person as if the user had written it.
  if (turn.session.pending?.kind === 'handoff' && !isCardOption(choice)) return redisplay(turn);
  // An older emergency card's button still does what it says.
  if (isCardOption(choice) && turn.session.pending?.kind !== 'safety')
    return pickOnCard(turn, choice, turn.session.pending);
  text(turn, choice, isNew, hint);
}

function text(turn: Turn, raw: string, isNew: boolean, hint?: LangHint): void {
  const input = clean(raw).slice(0, MAX_INPUT);
  // A deep link as the whole message holds no words of the user's own.
  if (parsePayload(input)) return start(turn, input, isNew, hint);
  const command = turn.ctx.command(input);
  // Leaving comes first: someone who must hide the chat now is never held up.
  if (command === 'stop' || command === 'exit') {
    turn.session.lang ??= turn.ctx.detectLang(input) ?? hint?.lang ?? null;
    return forget(turn, command);
  }
  // Danger is looked for in every message, wherever the user stands and before anything reads
  // the text. A state that takes the user's text elsewhere (a conversation with a person) must
  // start after this line, so the card still comes first there.
  // A link pre-filled inside a sentence ("Bonjou! … (ht_labor_leader-12)") still counts, but only
  // after the sentence was screened: danger written around a poster's link gets the card.
  const link = findPayload(input);
  if (screen(turn, input, hint ?? linkHint(link))) {
    if (link) turn.session.campaign = parsePayload(link)?.campaign ?? turn.session.campaign;
    // The person on it reads it too: danger is exactly what they must not miss.
    if (turn.session.handoff) turn.emit({ type: 'handoff.relay-in', text: raw.trim().slice(0, MAX_RELAY) });
    return;
  }
  if (link) return start(turn, link, isNew, hint);
  const card = turn.session.pending?.kind === 'safety' ? turn.session.pending : null;
  if (card) {
    const match = matchOption(input, cardOptions(turn));
    if (match && 'option' in match) return pick(turn, match.option);
    // Anything else is answered where the user stood before the card.
    turn.session.pending = card.prior;
  }
  const voice = turn.session.pending?.kind === 'voice' ? turn.session.pending : null;
  if (voice) {
    const match = matchOption(input, voiceOptions(turn));
    if (match && 'option' in match) return pick(turn, match.option);
    // A typed question after a voice note is answered where the user stood.
    turn.session.pending = voice.prior;
  }
  // A person is on it: their words go to staff, not to the search; commands still work.
  if (turn.session.pending?.kind === 'handoff' && turn.session.handoff && !command) return relay(turn, raw);
  const talk = command ? null : turn.ctx.smallTalk(input);
  if (!turn.session.lang) {
    turn.session.lang = turn.ctx.detectLang(input) ?? talk?.lang ?? hint?.lang ?? null;
    // Still unknown: ask, unless the user is answering that very question.
    if (!turn.session.lang && turn.session.at?.flow !== 'language') {
      if (command === 'help') helpBeforeLanguage(turn);
      return askLanguage(turn);
    }
  }
  if (isNew) turn.say(turn.common('welcome'));
  if (command) return runCommand(turn, command);
  if (isNew || (!turn.session.at && !turn.session.pending)) {
    // A greeting or a "thanks" is not a question: the welcome and the menu answer it.
    if (talk) return isNew ? home(turn) : answerSmallTalk(turn, talk);
    if (hasWords(input) && answerFreeText(turn, input, false)) return;
    return home(turn);
  }
  const options = currentOptions(turn);
  const match = options ? matchOption(input, options) : null;
  if (match && 'option' in match) return pick(turn, match.option);
  // Consent is asked, not guessed: anything but a choice asks again.
  if (turn.session.pending?.kind === 'consent') return redisplay(turn);
  const at = turn.session.at;
  const step = at && !turn.session.pending ? turn.step(at) : undefined;
  // At a question a typed "yes" or "no" is the answer; other small talk is not.
  const answersQuestion = step?.type === 'question' && (talk?.kind === 'yes' || talk?.kind === 'no');
  if (talk && !answersQuestion) return answerSmallTalk(turn, talk);
  if (step?.type === 'question' && at) return answerQuestion(turn, at, step.var, step.next, input);
  notUnderstood(turn, input, match);
}

/** The language a pre-filled link names, as a hint for a first message that needs the card. */
function linkHint(link: string | null): LangHint | undefined {
  const lang = link ? parsePayload(link)?.lang : undefined;
  return lang ? { lang, sure: false } : undefined;
}

/** Danger triage: on a match, the emergency card and nothing else. */
function screen(turn: Turn, input: string, hint?: LangHint): boolean {
  // An option number is never danger, and most messages are option numbers.
  if (parseNumber(input) !== null) return false;
  // Before the language is known, every language's phrases count; the likely one is tried first.
  const prefer = turn.session.lang ?? turn.ctx.detectLang(input) ?? hint?.lang ?? null;
  const danger = turn.ctx.triage(input, prefer);
  if (!danger) return false;
  showCard(turn, danger);
  return true;
}

/** `stop` and quick exit delete everything about the user; quick exit also asks the channel to erase the chat. */
function forget(turn: Turn, command: 'stop' | 'exit'): void {
  turn.session.at = null;
  turn.session.pending = null;
  turn.say(turn.common(command === 'exit' ? 'exit.done' : 'stop.done'));
  if (command === 'exit') turn.emit({ type: 'erase' });
  turn.emit({ type: 'forget' });
}

function pickOnCard(turn: Turn, id: CardOption | 'back' | 'menu' | string, prior: Pending | null): void {
  const before: MenuPending | null = menuPending(prior);
  switch (id) {
    case 'exit':
      return forget(turn, 'exit');
    case 'human':
    case 'emergency': {
      turn.session.pending = null;
      const at = turn.session.at;
      if (at && !before && turn.step(at)?.type === 'menu') remember(turn, at);
      if (id === 'emergency') return startFlow(turn, 'emergency');
      if (turn.ctx.handoff) return askForPerson(turn);
      showFaq(turn, HUMAN_FAQ);
      return;
    }
    case 'back':
      turn.session.pending = before;
      return redisplay(turn);
    default:
      return home(turn);
  }
}

/** A short friendly reply, then what the user was looking at; a typed yes or no answers "was this helpful?". */
function answerSmallTalk(turn: Turn, talk: SmallTalk): void {
  const pending = turn.session.pending;
  if ((talk.kind === 'yes' || talk.kind === 'no') && pending?.kind === 'faq')
    return pick(turn, { id: talk.kind, label: talk.kind });
  // A typed yes or no answers the consent question: the same explicit answer as its button.
  if ((talk.kind === 'yes' || talk.kind === 'no') && pending?.kind === 'subscribe') {
    const [yes, no] = subsConsentOptions(turn, pending.topic, pending.how);
    return pick(turn, talk.kind === 'yes' ? yes! : no!);
  }
  turn.say(turn.common(`smalltalk.${talk.kind}`));
  redisplay(turn);
}

/** The options the user is looking at now, or null on a free-text question. */
function currentOptions(turn: Turn): OptionOut[] | null {
  const { pending, at } = turn.session;
  if (pending?.kind === 'safety') return cardOptions(turn);
  if (pending?.kind === 'consent') return consentOptions(turn);
  if (pending?.kind === 'handoff') return turn.nav('menu');
  if (pending?.kind === 'voice') return voiceOptions(turn);
  if (pending?.kind === 'faq') return faqOptions(turn, pending.id);
  if (pending?.kind === 'suggest') return suggestOptions(turn, pending.ids);
  if (pending?.kind === 'end') return turn.nav('menu');
  if (pending?.kind === 'topics') return topicOptions(turn, pending.how);
  if (pending?.kind === 'subscribe') return subsConsentOptions(turn, pending.topic, pending.how);
  if (pending?.kind === 'subs') return subsOptions(turn);
  const step = at ? turn.step(at) : undefined;
  if (at && step?.type === 'menu') return menuOptions(turn, at, step);
  if (step?.type === 'question') return turn.nav('back', 'menu');
  return null;
}

function pick(turn: Turn, option: OptionOut): void {
  const { pending, at } = turn.session;
  if (pending?.kind === 'safety' || pending?.kind === 'voice') return pickOnCard(turn, option.id, pending);
  if (option.id === 'menu') return home(turn);
  if (option.id === 'back') return back(turn);
  if (option.id.startsWith(SUBS_PREFIX)) return pickSubs(turn, option.id, subsNav(turn));
  if (pending?.kind === 'consent' && (option.id === 'share' || option.id === 'fresh'))
    return connect(turn, option.id === 'share');
  // The home menu's "talk to a person", added by the engine when a staff inbox is configured.
  if (option.id === 'human' && !pending && turn.ctx.handoff) return askForPerson(turn);
  if (pending?.kind === 'faq' && (option.id === 'yes' || option.id === 'no')) {
    turn.emit({ type: 'feedback', faq: pending.id, helpful: option.id === 'yes' });
    turn.say(turn.common(option.id === 'yes' ? 'faq.thanks' : 'faq.sorry'));
    return back(turn);
  }
  if (pending?.kind === 'faq' && option.id === 'listen') return listenFaq(turn, pending.id);
  if (pending?.kind === 'faq' && option.id === 'emergency') {
    turn.session.pending = null;
    return startFlow(turn, 'emergency');
  }
  if (pending) {
    turn.session.pending = null;
    showFaq(turn, option.id);
    return;
  }
  const step = at ? turn.step(at) : undefined;
  if (!at || step?.type !== 'menu') return home(turn);
  const def = step.options.find((o) => o.id === option.id);
  if (!def) return home(turn);
  for (const [name, value] of Object.entries(def.set ?? {})) {
    if (name === 'lang' && (LANGS as readonly string[]).includes(value))
      turn.session.lang = value as Session['lang'];
    else turn.session.vars[name] = value;
  }
  remember(turn, at);
  if (def.next) return go(turn, { flow: at.flow, step: def.next });
  if (def.flow) return startFlow(turn, def.flow);
  if (def.faq) showFaq(turn, def.faq);
}

function answerQuestion(turn: Turn, at: Position, name: string, next: string, input: string): void {
  if (!hasWords(input)) {
    turn.say(turn.common('hint.question'));
    return go(turn, at);
  }
  // Kept in the session, so names, numbers and addresses are taken out first.
  turn.session.vars[name] = scrub(input).slice(0, MAX_VAR);
  go(turn, { flow: at.flow, step: next });
}

/** Free text inside a menu: search the FAQ, else say so and offer the closest topics. */
function notUnderstood(turn: Turn, input: string, match: Match): void {
  if (match && 'outOfRange' in match) {
    const count = currentOptions(turn)?.length ?? 0;
    turn.say(turn.common('hint.number', { max: String(count) }));
    return redisplay(turn);
  }
  if (!hasWords(input)) {
    turn.say(turn.common('hint.choose'));
    return redisplay(turn);
  }
  if (answerFreeText(turn, input, true)) return;
  redisplay(turn);
}

/** Answers from the FAQ when it is confident; otherwise records the question and suggests topics. */
function answerFreeText(turn: Turn, input: string, suggest: boolean): boolean {
  const found = turn.ctx.faq.search(input, turn.lang);
  const at = turn.session.at;
  const best = found.results[0];
  if (found.answered && best) {
    if (at && turn.step(at)?.type === 'menu' && !turn.session.pending) remember(turn, at);
    turn.session.pending = null;
    showFaq(turn, best.id);
    return true;
  }
  turn.emit({ type: 'unanswered', lang: turn.lang, query: foldScrubbed(scrub(input)) });
  if (!suggest || found.results.length === 0) {
    if (suggest) turn.say(turn.common('faq.unknown'));
    return false;
  }
  if (at && turn.step(at)?.type === 'menu' && !turn.session.pending) remember(turn, at);
  const ids = found.results.slice(0, 3).map((r) => r.id);
  turn.session.pending = { kind: 'suggest', ids };
  turn.say(turn.common('faq.suggest'), suggestOptions(turn, ids));
  return true;
}

function runCommand(turn: Turn, command: Command): void {
  switch (command) {
    case 'menu':
      return home(turn);
    case 'back':
      return back(turn);
    case 'language':
      if (turn.session.at && turn.step(turn.session.at)?.type === 'menu' && !turn.session.pending)
        remember(turn, turn.session.at);
      turn.session.pending = null;
      return startFlow(turn, 'language');
    case 'help':
      // Help always helps: the emergency numbers come before how to use the bot.
      turn.say(
        `${turn.ctx.emergencyLine(turn.session.vars.country ?? null, turn.lang)}\n\n${turn.common('help')}${
          turn.ctx.handoff ? `\n${turn.common('handoff.help', { org: turn.ctx.handoff.org })}` : ''
        }`,
        helpOption(turn),
      );
      // The subscriptions entry is a button beside help; the menu that follows keeps the numbers.
      if (turn.messages.at(-1)?.options.length) turn.messages.at(-1)!.buttonsOnly = true;
      return redisplay(turn);
    case 'subscribe':
    case 'subscriptions':
      if (turn.session.at && turn.step(turn.session.at)?.type === 'menu' && !turn.session.pending)
        remember(turn, turn.session.at);
      turn.session.pending = null;
      return command === 'subscribe' ? chooseTopic(turn, 'command') : listSubscriptions(turn);
    case 'audioOn':
    case 'audioOff':
      turn.session.audio = command === 'audioOn';
      turn.say(turn.common(command === 'audioOn' ? 'audio.on' : 'audio.off'));
      return redisplay(turn);
    case 'stop':
    case 'exit':
      return forget(turn, command);
    case 'person':
      if (turn.ctx.handoff) return askForPerson(turn);
      if (turn.session.at && turn.step(turn.session.at)?.type === 'menu' && !turn.session.pending)
        remember(turn, turn.session.at);
      showFaq(turn, HUMAN_FAQ);
      return;
  }
}

/** Help asked before the language is known: the emergency numbers in every language, then the question. */
function helpBeforeLanguage(turn: Turn): void {
  turn.say(LANGS.map((l) => turn.ctx.emergencyLine(turn.session.vars.country ?? null, l)).join('\n'));
}

function askLanguage(turn: Turn): void {
  turn.say(LANGS.map((l) => commonText(turn.ctx.t, l, 'welcome')).join('\n\n'));
  startFlow(turn, 'language');
}

/** Shows again what the user is answering: the engine-made menu, or the step. */
function redisplay(turn: Turn): void {
  const { pending, at } = turn.session;
  // The card is shown once, for the message that called for it; after it, the user's own place.
  if (pending?.kind === 'safety' || pending?.kind === 'voice') {
    turn.session.pending = pending.prior;
    return redisplay(turn);
  }
  if (pending?.kind === 'faq') return turn.say(turn.common('hint.faq'), faqOptions(turn, pending.id));
  if (pending?.kind === 'consent') return turn.say(turn.common('handoff.consent'), consentOptions(turn));
  if (pending?.kind === 'handoff') return turn.say(turn.common('handoff.already'), turn.nav('menu'));
  if (pending?.kind === 'suggest')
    return turn.say(turn.common('faq.suggest'), suggestOptions(turn, pending.ids));
  if (pending?.kind === 'topics') return chooseTopic(turn, pending.how);
  if (pending?.kind === 'subscribe') return askConsent(turn, pending.topic, pending.how, subsNav(turn));
  if (pending?.kind === 'subs') return listSubscriptions(turn);
  if (pending?.kind === 'end' || !at) return home(turn);
  go(turn, at);
}

function subsNav(turn: Turn): SubsNav {
  return { back: () => back(turn), home: () => home(turn) };
}

function home(turn: Turn): void {
  resetTo(turn, []);
  const main = turn.flow('main');
  if (!main) return;
  go(turn, { flow: 'main', step: main.start });
}

function back(turn: Turn): void {
  turn.session.pending = null;
  while (turn.session.history.length) {
    const at = turn.session.history.pop()!;
    if (turn.step(at)?.type === 'menu') return go(turn, at);
  }
  home(turn);
}

function startFlow(turn: Turn, id: string): void {
  const flow: Flow | undefined = turn.flow(id);
  if (!flow) return home(turn);
  if (id === 'main') return home(turn);
  turn.emit({ type: 'metric', name: 'flow_started', flow: id });
  go(turn, { flow: id, step: flow.start });
}

function resetTo(turn: Turn, history: Position[]): void {
  turn.session.history = history;
  turn.session.pending = null;
}

/** Pushes a menu onto the back-stack, once. */
function remember(turn: Turn, at: Position): void {
  const h = turn.session.history;
  const top = h.at(-1);
  if (top?.flow === at.flow && top.step === at.step) return;
  h.push({ ...at });
  if (h.length > 20) h.shift();
}

/** Enters steps one after another until one waits for the user. */
function go(turn: Turn, first: Position): void {
  let at = first;
  turn.session.pending = null;
  for (;;) {
    if (++turn.stepsEntered > MAX_STEPS_PER_TURN) {
      turn.emit({ type: 'log', level: 'error', code: 'flow.loop', flow: at.flow, step: at.step });
      turn.session.at = null;
      turn.session.pending = { kind: 'end' };
      turn.say(turn.common('error.loop'), turn.nav('menu'));
      return;
    }
    const flow = turn.flow(at.flow);
    if (!flow) {
      turn.emit({ type: 'log', level: 'warn', code: 'flow.gone', flow: at.flow });
      if (at.flow === 'main') return;
      return home(turn);
    }
    let step = flow.steps[at.step];
    if (!step) {
      // The step was removed by an edit while the user stood on it: restart its flow.
      turn.emit({ type: 'log', level: 'warn', code: 'step.gone', flow: at.flow, step: at.step });
      at = { flow: at.flow, step: flow.start };
      step = flow.steps[at.step];
      if (!step) return;
    }
    turn.session.at = at;
    const advance = enterStep(turn, at, step);
    if ('wait' in advance) return;
    at = advance.next;
  }
}
