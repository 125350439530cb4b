import type { Flow, Option, Step } from '../flows/schema.js';
import { type CommonKey, commonText } from '../i18n/keys.js';
import type { Lang } from '../text/lang.js';
import type { EngineContext } from './context.js';
import type { Effect, OptionOut, OutMessage, Position, Session } from './types.js';

/** How a step hands control back to the runner. */
export type Advance = { next: Position } | { wait: true };

/**
 * The i18n keys of flow strings, made once per flow, step and option: menus are rendered on
 * nearly every turn, and a lookup by a string that already exists hashes nothing new.
 */
const flowNamespaces = new Map<string, string>();
const stepTextKeys = new Map<string, string>();
const optionKeys = new WeakMap<Option, string>();

function memo(map: Map<string, string>, id: string, make: (id: string) => string): string {
  let key = map.get(id);
  if (key === undefined) {
    key = make(id);
    map.set(id, key);
  }
  return key;
}

/** Escapes markup characters in a value that came from a user. */
export function escapeMarkup(value: string): string {
  return value.replace(/([\\*_~`])/g, '\\$1');
}

/**
 * The mutable working state of one turn. Only the runner creates it; steps and
 * handlers use its helpers, and the result is copied out when the turn ends.
 */
export class Turn {
  readonly messages: OutMessage[] = [];
  readonly effects: Effect[] = [];
  stepsEntered = 0;
  /** The host's clock for this turn (ms): the engine never reads one itself. */
  now = 0;

  /** The topics the user gets news on, as the host loaded them; changed by this turn's effects. */
  readonly subscribed: Set<string>;

  constructor(
    readonly ctx: EngineContext,
    public session: Session,
    subscribed: readonly string[] = [],
  ) {
    this.subscribed = new Set(subscribed);
  }

  get lang(): Lang {
    return this.session.lang ?? this.ctx.defaultLang;
  }

  /** A string from locales/<lang>/common.json. */
  common(key: CommonKey, vars?: Record<string, string>): string {
    return commonText(this.ctx.t, this.lang, key, vars);
  }

  /** A string written inline in a flow file. */
  flowText(flowId: string, key: string): string {
    // Variables are interpolated by i18next, which escapes them for the markup.
    const ns = memo(flowNamespaces, flowId, (id) => `flow.${id}`);
    return this.ctx.t(this.lang, ns, key, this.session.vars);
  }

  /** The text of a step. */
  stepText(at: Position): string {
    return this.flowText(
      at.flow,
      memo(stepTextKeys, at.step, (id) => `${id}.text`),
    );
  }

  optionLabel(flowId: string, stepId: string, option: Option): string {
    let key = optionKeys.get(option);
    if (key === undefined) {
      key = `${stepId}.options.${option.id}`;
      optionKeys.set(option, key);
    }
    return this.flowText(flowId, key);
  }

  /** Recorded answers: the user's own choice, else on for someone who sends voice notes. */
  get audioOn(): boolean {
    return this.session.audio ?? this.session.voice ?? false;
  }

  /** `audio` is sent after the text only when the user wants recordings; "listen" forces it. */
  say(text: string, options: OptionOut[] = [], faq?: string, audio?: string | null, force = false): void {
    const at = this.session.at;
    const message: OutMessage = { text, options, flow: at?.flow ?? null, step: at?.step ?? null };
    if (faq) message.faq = faq;
    if (audio && (force || this.audioOn)) message.audio = audio;
    this.messages.push(message);
  }

  /** The emergency card: the one message marked `safety`, said where the user stands. */
  sayCard(text: string, options: OptionOut[]): void {
    const at = this.session.at;
    this.messages.push({ text, options, flow: at?.flow ?? null, step: at?.step ?? null, safety: true });
  }

  emit(effect: Effect): void {
    this.effects.push(effect);
  }

  flow(id: string): Flow | undefined {
    return this.ctx.flows.get(id);
  }

  step(at: Position): Step | undefined {
    return this.ctx.flows.get(at.flow)?.steps[at.step];
  }

  nav(...ids: Array<'back' | 'menu'>): OptionOut[] {
    return ids.map((id) => ({ id, label: this.common(`nav.${id}`) }));
  }

  /** The way out of an engine-made menu: "back" only when there is a menu to go back to. */
  exits(): OptionOut[] {
    return this.session.history.length ? this.nav('back', 'menu') : this.nav('menu');
  }
}
