import type { Logger } from 'pino';
import { escapeMarkup } from '../engine/turn.js';
import type { OutMessage, VoiceNote } from '../engine/types.js';
import { type CommonKey, commonText } from '../i18n/keys.js';
import type { Bot } from '../runtime/bot.js';
import type { HandoffRow } from '../store/contract.js';
import { HOUR } from '../store/times.js';
import type { Lang } from '../text/lang.js';
import type { HandoffAction, HandoffSink, TurnDone } from './actions.js';
import type { Inbox, StaffMessage } from './inbox.js';
import { type HistoryLine, RecentTexts } from './recent-texts.js';
import { UserRelay } from './relay.js';

/** How staff see a language, whatever their own. */
const LANG_LABELS: Record<Lang, string> = { es: 'es (español)', en: 'en (English)', ht: 'ht (kreyòl)' };
const CHANNEL_LABELS: Record<string, string> = {
  telegram: 'Telegram',
  whatsapp: 'WhatsApp',
  'whatsapp-cloud': 'WhatsApp',
  console: 'console',
};

export type HandoffHostOptions = {
  /** The language of the notes the bot writes to staff (DEFAULT_LANG). */
  staffLang: Lang;
  idleHours: number;
  log: Logger;
  now?: () => number;
};

/**
 * Applies what turns did to conversations with a person: opens, feeds and closes them in the
 * staff inbox, and carries staff's words and commands back to users through the relay. Work
 * for one conversation runs in order; a failure is logged and the next piece still runs.
 */
export class HandoffHost implements HandoffSink {
  readonly relay = new UserRelay();
  private inbox?: Inbox;
  private readonly chains = new Map<string, Promise<void>>();
  private readonly recent: RecentTexts;
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly bot: Bot,
    private readonly options: HandoffHostOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.recent = new RecentTexts(this.now);
  }

  attach(inbox: Inbox): void {
    this.inbox = inbox;
    inbox.relayOut((m) => this.fromStaff(m));
  }

  /** Closes idle conversations now, and then every few minutes. */
  startIdleTimer(everyMs = 5 * 60_000): void {
    this.timer = setInterval(() => void this.closeIdle().catch((e) => this.fail('idle', e)), everyMs);
    this.timer.unref();
  }

  stopIdleTimer(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Resolves when every piece of work queued so far is done: for shutdown and tests. */
  async idle(): Promise<void> {
    while (this.chains.size) await Promise.all([...this.chains.values()]);
  }

  afterTurn(t: TurnDone): void {
    const history = t.actions.some((a) => a.type === 'open' && a.history) ? this.recent.list(t.key) : null;
    if (t.forgotten) {
      this.recent.drop(t.key);
    } else if (
      t.event &&
      !('handoff' in t.event) &&
      !t.actions.some((a) => a.type === 'relay' || a.type === 'voice')
    ) {
      const lines: HistoryLine[] = [];
      if ('text' in t.event) lines.push({ from: 'user', text: t.event.text });
      for (const m of t.messages) lines.push({ from: 'bot', text: m.text });
      this.recent.add(t.key, lines);
    }
    for (const a of t.actions) this.queue(a.row.id, () => this.apply(a, history));
  }

  /** Conversations without a message for HANDOFF_IDLE_H hours close, with a message to both sides. */
  async closeIdle(): Promise<void> {
    const before = this.now() - this.options.idleHours * HOUR;
    for (const row of await this.bot.store.idleHandoffs(before)) {
      const user = this.bot.handoffUser(row);
      if (!user) {
        await this.bot.store.closeHandoff(row.id);
        continue;
      }
      try {
        await this.hostEvent(row, user, 'idle-close');
      } catch (e) {
        this.fail('idle', e);
      }
    }
    await this.idle();
  }

  private queue(id: string, work: () => Promise<void>): void {
    const run = (this.chains.get(id) ?? Promise.resolve()).then(work).catch((e) => this.fail('inbox', e));
    this.chains.set(id, run);
    void run.then(() => {
      if (this.chains.get(id) === run) this.chains.delete(id);
    });
  }

  private fail(what: string, e: unknown): void {
    this.options.log.error(
      { code: `handoff.${what}`, error: e instanceof Error ? e.message : String(e) },
      'handoff: a step failed',
    );
  }

  private staff(key: CommonKey, vars?: Record<string, string>): string {
    return commonText(this.bot.current.ctx.t, this.options.staffLang, key, vars);
  }

  private async apply(a: HandoffAction, history: HistoryLine[] | null): Promise<void> {
    const inbox = this.inbox;
    if (!inbox) throw new Error('no staff inbox is attached');
    if (a.type === 'open') {
      const ref = await this.openTopic(inbox, a.row, a.outOfHours ? [this.staff('staff.outOfHours')] : []);
      if (!a.history) return inbox.notify(ref, this.staff('staff.noHistory'));
      if (history?.length) {
        const label = { user: this.staff('staff.historyUser'), bot: this.staff('staff.historyBot') };
        // The shared lines are the user's words and the bot's: passed as plain text, like relays.
        await inbox.notify(ref, this.staff('staff.history'));
        await inbox.relayIn(ref, history.map((l) => `${label[l.from]}: ${l.text}`).join('\n\n'));
      }
      return;
    }
    let ref = (await this.bot.store.handoff(a.row.id))?.thread ?? null;
    if (a.type === 'relay') {
      // The topic could not be opened when the user asked (the group was unreachable): now, then.
      ref ??= await this.openTopic(inbox, a.row, []);
      return inbox.relayIn(ref, a.text);
    }
    if (a.type === 'voice') {
      ref ??= await this.openTopic(inbox, a.row, []);
      return this.relayVoice(inbox, ref, a.row, a.voice);
    }
    if (!ref) return;
    const note = {
      user: this.staff('staff.userBack'),
      left: this.staff('staff.userLeft'),
      staff: this.staff('staff.closed'),
      idle: this.staff('staff.idle', { hours: String(this.options.idleHours) }),
    }[a.reason];
    await inbox.close(ref, note);
  }

  /**
   * Passes a voice note on as audio, fetched from the user's channel into memory. When that fails,
   * staff get a note and the user is asked to write instead.
   */
  private async relayVoice(inbox: Inbox, ref: string, row: HandoffRow, voice: VoiceNote): Promise<void> {
    const user = this.bot.handoffUser(row);
    try {
      const audio = user ? this.relay.voice(row.channel, user, voice) : null;
      if (!audio) throw new Error(`voice notes from ${row.channel} cannot be fetched`);
      return await inbox.relayVoice(ref, audio);
    } catch (e) {
      this.fail('relay_voice', e);
    }
    await inbox.notify(ref, this.staff('staff.voiceFailed'));
    if (!user) return;
    const text = commonText(this.bot.current.ctx.t, row.lang, 'handoff.voiceFailed');
    await this.relay.send(row.channel, user, [{ text, options: [], flow: null, step: null }], row.lang);
  }

  /** Opens the conversation's topic, named by language and pseudonym, with the first note for staff. */
  private async openTopic(inbox: Inbox, row: HandoffRow, notes: string[]): Promise<string> {
    const name = `${row.lang} · ${row.pseudonym}`;
    const ref = await inbox.open({ name });
    await this.bot.store.setHandoffThread(row.id, ref);
    const opened = this.staff('staff.opened', {
      name,
      lang: LANG_LABELS[row.lang],
      channel: CHANNEL_LABELS[row.channel] ?? row.channel,
    });
    await inbox.notify(ref, [opened, ...notes].join('\n\n'));
    return ref;
  }

  /** A staff member wrote in a topic: a command, or words for the user. */
  private async fromStaff(m: StaffMessage): Promise<void> {
    const row = await this.bot.store.handoffByThread(m.ref);
    if (!row) return;
    const text = 'text' in m ? m.text.trim() : '';
    const command = /^\/([a-z]+)(?:@\w+)?(?:\s+([\s\S]*))?$/i.exec(text);
    const name = 'closed' in m ? 'close' : command?.[1]?.toLowerCase();
    // A note is for the team only: never relayed, never answered.
    if (name === 'note') return;
    const notify = (note: string) => this.queue(row.id, () => this.inbox!.notify(m.ref, note));
    const user = this.bot.handoffUser(row);
    if (row.closed_at !== null || !user)
      return 'closed' in m ? undefined : notify(this.staff('staff.isClosed'));
    if (name === 'close') return this.hostEvent(row, user, 'staff-close');
    if ('media' in m) return notify(this.staff('staff.textOnly'));
    if (name === 'lang') return notify(this.staff('staff.lang', { lang: LANG_LABELS[row.lang] }));
    if (name === 'faq') {
      const id = command?.[2]?.trim() ?? '';
      if (!id) return notify(this.staff('staff.faqUsage'));
      const view = this.bot.current.ctx.faq.view(id, row.lang);
      if (!view) return notify(this.staff('staff.faqUnknown', { id }));
      await this.bot.store.handoffReplied(row.id);
      const text = `*${view.title}*\n\n${view.answer.trim()}`;
      await this.toUser(row, user, [{ text, options: [], flow: null, step: null, faq: id }]);
      return notify(this.staff('staff.faqSent', { id, lang: LANG_LABELS[view.lang] }));
    }
    if (command) return notify(this.staff('staff.commands'));
    await this.bot.store.handoffReplied(row.id);
    const from = commonText(this.bot.current.ctx.t, row.lang, 'handoff.from', {
      org: this.bot.current.ctx.handoff?.org ?? '',
    });
    await this.toUser(row, user, [
      { text: `${from}\n${escapeMarkup(text)}`, options: [], flow: null, step: null },
    ]);
  }

  /** Staff closed, or the conversation went idle: a turn of the user's, whose reply goes to them. */
  private async hostEvent(row: HandoffRow, user: string, kind: 'staff-close' | 'idle-close'): Promise<void> {
    const reply = await this.bot.handle({ channel: row.channel, user, event: { handoff: kind } });
    // The user's session is gone (retention) or no longer open: the conversation closes all the same.
    if (await this.bot.store.closeHandoff(row.id)) {
      this.queue(row.id, () =>
        this.apply({ type: 'close', row, reason: kind === 'idle-close' ? 'idle' : 'staff' }, null),
      );
    }
    if (reply.messages.length) await this.relay.send(row.channel, user, reply.messages, reply.lang);
  }

  private async toUser(row: HandoffRow, user: string, messages: OutMessage[]): Promise<void> {
    let outcome: Awaited<ReturnType<UserRelay['send']>>;
    try {
      // Held replies (WhatsApp's 24-hour window) go when the user writes again: staff are told then.
      const thread = row.thread;
      const delivered = thread
        ? () => this.queue(row.id, () => this.inbox!.notify(thread, this.staff('staff.heldDelivered')))
        : undefined;
      outcome = await this.relay.send(row.channel, user, messages, row.lang, delivered);
    } catch (e) {
      this.fail('relay_out', e);
      if (row.thread) await this.inbox?.notify(row.thread, this.staff('staff.notDelivered'));
      return;
    }
    if (outcome === 'sent') return;
    // Held in the outbox (WhatsApp's 24-hour window) until the user writes again: staff are told.
    if (row.thread)
      await this.inbox?.notify(
        row.thread,
        this.staff(outcome === 'held-template' ? 'staff.windowTemplate' : 'staff.windowHeld'),
      );
  }
}
