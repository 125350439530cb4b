import { type Api, GrammyError, InputFile } from 'grammy';
import type { Logger } from 'pino';
import { readRecording } from '../../audio/file.js';
import type { MediaUploads } from '../../store/contract.js';

const CHANNEL = 'telegram';

export type TelegramVoiceOptions = { uploads: MediaUploads; dataDir: string; log: Logger };

/**
 * Sends a recorded answer as a voice note. The first send uploads the file; Telegram's file_id
 * for it is kept (per bot: an id is valid for the bot that got it) and sent instead from then on.
 * Never throws: a voice note that cannot go is logged, and the text has gone already.
 * Resolves to the sent message's id, or null.
 */
export function telegramVoiceSender(options: TelegramVoiceOptions) {
  const { uploads, dataDir, log } = options;
  const failed = (reason: string) => {
    log.warn({ code: 'telegram.voice_failed', reason }, 'a recorded answer could not be sent');
    return null;
  };
  return async (api: Api, botId: number, chatId: number, ref: string): Promise<number | null> => {
    let recording: ReturnType<typeof readRecording>;
    try {
      recording = readRecording(dataDir, ref);
    } catch (e) {
      return failed(`data/${ref}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const account = String(botId);
    // The kept id only saves an upload: a store that cannot answer means uploading the file again.
    const cached = await uploads.mediaUpload(CHANNEL, account, recording.sha256).catch(() => null);
    if (cached) {
      try {
        return (await api.sendVoice(chatId, cached)).message_id;
      } catch (e) {
        // Only a refused file_id is worth an upload; anything else would fail again.
        if (!(e instanceof GrammyError && e.error_code === 400)) return failed(describe(e));
        await uploads.dropMediaUpload(CHANNEL, account, recording.sha256).catch(() => {});
      }
    }
    let sent: Awaited<ReturnType<Api['sendVoice']>>;
    try {
      sent = await api.sendVoice(chatId, new InputFile(recording.bytes, recording.name));
    } catch (e) {
      return failed(describe(e));
    }
    const fileId = sent.voice?.file_id;
    if (fileId)
      await uploads
        .saveMediaUpload(CHANNEL, account, recording.sha256, fileId)
        .catch((e: unknown) =>
          log.warn(
            { code: 'telegram.voice_not_kept', reason: e instanceof Error ? e.message : String(e) },
            'a recorded answer was sent, but its file_id could not be kept: it goes up again next time',
          ),
        );
    return sent.message_id;
  };
}

/** Telegram's own words: they name the method and the problem, never the chat. */
function describe(e: unknown): string {
  if (e instanceof GrammyError) return `${e.error_code} ${e.description}`;
  return e instanceof Error ? e.name : 'unknown error';
}
