import { autoRetry } from '@grammyjs/auto-retry';
import { sequentialize } from '@grammyjs/runner';
import { Bot as Grammy } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { dataDirOf } from '../../audio/file.js';
import type { AudioBytes } from '../../handoff/inbox.js';
import { commonText } from '../../i18n/keys.js';
import type { App } from '../../runtime/app.js';
import { LANGS } from '../../text/lang.js';
import { convertMessageToTelegram, convertUpdateToIncoming } from './convert.js';
import { TelegramInbox } from './inbox.js';
import { telegramVoiceSender } from './voice.js';

export const TELEGRAM_CHANNEL = 'telegram';
const COMMANDS = ['start', 'menu', 'language', 'help', 'subscriptions', 'exit', 'stop'] as const;

export type TelegramOptions = { token: string; apiRoot?: string; botInfo?: UserFromGetMe };

/**
 * A thin grammY bot: each update becomes one engine turn, and the turn's messages become
 * sendMessage calls. Updates of one chat run one after another; a 429 waits as Telegram asks.
 */
export function createTelegramBot(app: App, options: TelegramOptions): Grammy {
  const bot = new Grammy(options.token, {
    client: options.apiRoot ? { apiRoot: options.apiRoot } : {},
    botInfo: options.botInfo,
  });
  bot.api.config.use(autoRetry({ maxRetryAttempts: 5, maxDelaySeconds: 120 }));
  const inbox = connectStaffInbox(bot, app, options);
  const sendVoice = telegramVoiceSender({
    uploads: app.store,
    dataDir: dataDirOf(app.config.paths.root),
    log: app.log,
  });
  bot.use(sequentialize((ctx) => ctx.chat?.id.toString() ?? ctx.from?.id.toString()));
  bot.use(async (_ctx, next) => {
    // Replies before broadcasts: the broadcast on this channel waits while an update is answered.
    await app.priority.reply(TELEGRAM_CHANNEL, () => next());
  });
  bot.use(async (ctx) => {
    // The staff group's messages are staff's, never a user's turn.
    if (inbox && (await inbox.receive(ctx.update))) return;
    const incoming = convertUpdateToIncoming(ctx.update);
    if ('forget' in incoming) {
      await app.bot.forgetUser(TELEGRAM_CHANNEL, incoming.forget);
      app.log.debug({ code: 'telegram.blocked' }, 'a user blocked the bot; their data is deleted');
      return;
    }
    if ('ignore' in incoming) {
      if (ctx.callbackQuery) await ctx.answerCallbackQuery().catch(() => undefined);
      app.log.debug({ reason: incoming.ignore }, 'telegram update ignored');
      return;
    }
    if (incoming.pressed) {
      // Answer at once so the button stops spinning; the keyboard goes, so an old menu is not pressed twice.
      await ctx.api
        .answerCallbackQuery(incoming.pressed.callbackId)
        .catch((e) => app.log.warn({ err: String(e) }, 'answerCallbackQuery failed'));
      await ctx.api
        .editMessageReplyMarkup(incoming.chatId, incoming.pressed.messageId, {
          reply_markup: { inline_keyboard: [] },
        })
        .catch(() => undefined);
    }
    const reply = await app.bot.handle({
      channel: TELEGRAM_CHANNEL,
      user: incoming.user,
      event: incoming.event,
      updateId: incoming.updateId,
      messageId: incoming.messageId === undefined ? undefined : String(incoming.messageId),
      hint: incoming.hint,
    });
    if (reply.duplicate) return;
    // Quick exit: the chat's history goes first, so that only the short reply is left to see.
    // A message older than 48 hours, or already deleted, cannot be deleted; the others still go.
    let failed = 0;
    for (const id of reply.erase) {
      await ctx.api.deleteMessage(incoming.chatId, Number(id)).catch(() => failed++);
    }
    if (failed)
      app.log.info({ code: 'telegram.erase', failed, of: reply.erase.length }, 'some messages stayed');
    const sent: string[] = [];
    try {
      for (const message of reply.messages) {
        for (const send of convertMessageToTelegram(message)) {
          const out = await ctx.api.sendMessage(incoming.chatId, send.text, {
            parse_mode: send.parse_mode,
            reply_markup: send.reply_markup,
            link_preview_options: { is_disabled: true },
          });
          sent.push(String(out.message_id));
        }
        // The recording follows its text; when it cannot go, the text has gone all the same.
        if (message.audio) {
          const id = await sendVoice(ctx.api, ctx.me.id, incoming.chatId, message.audio);
          if (id !== null) sent.push(String(id));
        }
      }
    } finally {
      if (reply.session) await app.bot.recordSent(TELEGRAM_CHANNEL, incoming.user, sent);
    }
  });
  bot.catch((err) => {
    app.log.error(
      { code: 'telegram.update', error: err.error instanceof Error ? err.error.message : String(err.error) },
      'update failed',
    );
  });
  return bot;
}

/**
 * With STAFF_CHAT_ID, this bot is also the staff inbox: topics in that group, and the way
 * staff's replies reach Telegram users.
 */
function connectStaffInbox(bot: Grammy, app: App, options: TelegramOptions): TelegramInbox | undefined {
  const host = app.handoff;
  if (!host || !app.config.STAFF_CHAT_ID) return undefined;
  const inbox = new TelegramInbox(bot.api, Number(app.config.STAFF_CHAT_ID));
  host.attach(inbox);
  // A Telegram user's voice note goes on by its file_id; the download is there for other inboxes.
  host.relay.registerVoice(TELEGRAM_CHANNEL, (_user, voice) => ({
    kind: voice.kind,
    seconds: voice.seconds,
    telegramFileId: voice.media,
    fetch: () => downloadTelegramFile(bot.api, options, voice.media, voice.mime),
  }));
  host.relay.register(TELEGRAM_CHANNEL, async (user, messages) => {
    const sent: string[] = [];
    try {
      for (const message of messages) {
        for (const send of convertMessageToTelegram(message)) {
          const out = await bot.api.sendMessage(Number(user), send.text, {
            parse_mode: send.parse_mode,
            reply_markup: send.reply_markup,
            link_preview_options: { is_disabled: true },
          });
          sent.push(String(out.message_id));
        }
      }
    } finally {
      // A quick exit later deletes these too.
      await app.bot.recordSent(TELEGRAM_CHANNEL, user, sent);
    }
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
