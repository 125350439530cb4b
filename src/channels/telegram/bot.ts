import { type Api, Bot as Grammy } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { AudioBytes } from '../../handoff/inbox.js';
import { commonText } from '../../i18n/keys.js';
import { ApologyLimiter } from '../../runtime/apology.js';
import type { App } from '../../runtime/app.js';
import { StoreFault } from '../../store/fault.js';
import { LANGS } from '../../text/lang.js';
import { convertUpdateToIncoming } from './convert.js';
import { TelegramInbox } from './inbox.js';
import { renderTelegram } from './transport.js';

export const TELEGRAM_CHANNEL = 'telegram';
const COMMANDS = ['start', 'menu', 'language', 'help', 'subscriptions', 'exit', 'stop'] as const;

export type TelegramOptions = { token: string; apiRoot?: string; botInfo?: UserFromGetMe };

/**
 * grammY for the Bot API calls only: updates come from our own polling loop or webhook, which
 * confirm an update only once its turn has committed, and messages go out through the outbox.
 */
export function createTelegramBot(options: TelegramOptions): Grammy {
  return new Grammy(options.token, {
    // A call never hangs for ever: long polling asks for 25 s, anything else is much shorter.
    client: { ...(options.apiRoot ? { apiRoot: options.apiRoot } : {}), timeoutSeconds: 40 },
    botInfo: options.botInfo,
  });
}

/** The chat an update belongs to, so that one chat's updates run in order. */
export function chatOfUpdate(raw: unknown): string {
  const incoming = convertUpdateToIncoming(raw);
  if ('forget' in incoming) return incoming.forget;
  if ('ignore' in incoming) return '';
  return String(incoming.chatId);
}

/**
 * One update, one turn: the turn writes its replies to the outbox in its transaction, and the
 * returned promise settles once it has committed. A StoreFault means it did not, and the
 * caller must not confirm the update to Telegram; the user got a short apology directly.
 */
export function createUpdateHandler(
  app: App,
  api: Api,
  inbox?: TelegramInbox,
  /** Resolves once the outbox has sent what is due for a user: broadcasts wait for it. */
  drained?: (userKey: string) => Promise<void>,
): (raw: unknown) => Promise<void> {
  const apologies = new ApologyLimiter();
  const apologise = async (chatId: number, lang: Parameters<App['bot']['apology']>[0]) => {
    if (!apologies.allow(String(chatId))) return;
    await api
      .sendMessage(chatId, app.bot.apology(lang), { link_preview_options: { is_disabled: true } })
      .catch((e) =>
        app.log.warn({ code: 'telegram.apology', err: String(e) }, 'the apology could not be sent'),
      );
  };
  return async (raw) => {
    // The staff group's messages are staff's, never a user's turn.
    if (inbox && (await inbox.receive(raw))) return;
    const incoming = convertUpdateToIncoming(raw);
    if ('forget' in incoming) {
      await app.bot.forgetUser(TELEGRAM_CHANNEL, incoming.forget);
      app.log.debug({ code: 'telegram.blocked' }, 'a user blocked the bot; their data is deleted');
      return;
    }
    if ('ignore' in incoming) {
      if (incoming.callbackId) void api.answerCallbackQuery(incoming.callbackId).catch(() => undefined);
      app.log.debug({ reason: incoming.ignore }, 'telegram update ignored');
      return;
    }
    const pressed = incoming.pressed;
    // Answered at once, whatever happens next, so the button stops spinning; a press on a
    // keyboard already used gets only this.
    if (pressed)
      void api
        .answerCallbackQuery(pressed.callbackId)
        .catch((e) => app.log.warn({ err: String(e) }, 'answerCallbackQuery failed'));
    // Replies before broadcasts: the channel's broadcast waits from the update until its replies
    // have left the outbox.
    const release = app.priority.hold(TELEGRAM_CHANNEL);
    const key = app.bot.userKeyOf(TELEGRAM_CHANNEL, incoming.user);
    try {
      const reply = await app.bot.handle({
        channel: TELEGRAM_CHANNEL,
        user: incoming.user,
        event: incoming.event,
        updateId: incoming.updateId,
        messageId: incoming.messageId === undefined ? undefined : String(incoming.messageId),
        hint: incoming.hint,
        once: pressed ? `keyboard:${pressed.messageId}` : undefined,
        deliver: {
          address: String(incoming.chatId),
          render: (messages, erase) => renderTelegram(messages, erase, pressed?.messageId),
        },
      });
      if (reply.duplicate || !drained) release();
      else void drained(key).then(release);
    } catch (e) {
      release();
      if (e instanceof StoreFault) await apologise(incoming.chatId, incoming.hint?.lang);
      throw e;
    }
  };
}

/**
 * With STAFF_CHAT_ID, this bot is also the staff inbox: topics in that group, and the way
 * staff's replies reach Telegram users.
 */
export function connectStaffInbox(api: Api, app: App, options: TelegramOptions): TelegramInbox | undefined {
  const host = app.handoff;
  if (!host || !app.config.STAFF_CHAT_ID) return undefined;
  const inbox = new TelegramInbox(api, Number(app.config.STAFF_CHAT_ID));
  host.attach(inbox);
  // A Telegram user's voice note goes on by its file_id; the download is there for other inboxes.
  host.relay.registerVoice(TELEGRAM_CHANNEL, (_user, voice) => ({
    kind: voice.kind,
    seconds: voice.seconds,
    telegramFileId: voice.media,
    fetch: () => downloadTelegramFile(api, options, voice.media, voice.mime),
  }));
  // Staff's words go through the outbox, after what is pending for the user, in the same order.
  host.relay.register(TELEGRAM_CHANNEL, async (user, messages) => {
    await app.bot.deliver(TELEGRAM_CHANNEL, user, user, renderTelegram(messages, []));
    return 'sent';
  });
  return inbox;
}

/** A file a user sent, into memory, by its file_id (files up to 20 MB, as the Bot API allows). */
async function downloadTelegramFile(
  api: Grammy['api'],
  options: TelegramOptions,
  fileId: string,
  mime = 'audio/ogg',
): Promise<AudioBytes> {
  const file = await api.getFile(fileId);
  if (!file.file_path) throw new Error('Telegram gave no path for the file');
  const root = (options.apiRoot ?? 'https://api.telegram.org').replace(/\/+$/, '');
  const res = await fetch(`${root}/file/bot${options.token}/${file.file_path}`, {
    signal: AbortSignal.timeout(60_000),
  });
  // The URL holds the token: the error names only the status.
  if (!res.ok) throw new Error(`Telegram file download answered ${res.status}`);
  return { bytes: new Uint8Array(await res.arrayBuffer()), mime };
}

/** The command menu in each language; a failure is logged and the bot goes on. */
export async function registerCommands(bot: Grammy, app: App): Promise<void> {
  const t = app.bot.current.ctx.t;
  const commands = app.handoff ? [...COMMANDS, 'person' as const] : COMMANDS;
  const list = (lang: (typeof LANGS)[number]) =>
    commands.map((command) => ({
      command,
      description: commonText(t, lang, `commandDescriptions.${command}`),
    }));
  try {
    await bot.api.setMyCommands(list(app.config.DEFAULT_LANG));
    for (const lang of LANGS) await bot.api.setMyCommands(list(lang), { language_code: lang });
  } catch (e) {
    app.log.warn(
      { err: e instanceof Error ? e.message : String(e) },
      'setMyCommands failed; the bot works without the command menu',
    );
  }
}
