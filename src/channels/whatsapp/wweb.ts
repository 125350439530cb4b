import wweb from 'whatsapp-web.js';
import type { WaClient } from './client.js';

export type WwebOptions = {
  sessionDir: string;
  browser: string;
  /** A WhatsApp Web version to pin, and where to fetch that version's page from. */
  webVersion?: string;
  webVersionUrl?: string;
};

/**
 * The real client. The classes come from the default import: the named ESM exports type-check
 * but are undefined at run time.
 */
export function createWwebClient(options: WwebOptions): WaClient {
  const { Client, LocalAuth } = wweb;
  const client = new Client({
    authStrategy: new LocalAuth({ dataPath: options.sessionDir }),
    puppeteer: {
      executablePath: options.browser,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    ...(options.webVersion ? { webVersion: options.webVersion } : {}),
    webVersionCache:
      options.webVersion && options.webVersionUrl
        ? { type: 'remote', remotePath: options.webVersionUrl.replace('{version}', options.webVersion) }
        : { type: 'local', path: `${options.sessionDir}/web-cache` },
  });
  return {
    on: ((event: string, listener: (...args: never[]) => void) => {
      if (event === 'message') {
        client.on('message', (m: wweb.Message) =>
          (listener as (m: unknown) => void)({
            id: m.id._serialized,
            from: m.from,
            fromMe: m.fromMe,
            body: m.body,
            type: m.type,
            timestamp: m.timestamp,
            isStatus: m.isStatus,
            duration: m.duration,
          }),
        );
      } else {
        client.on(event, listener as (...args: unknown[]) => void);
      }
    }) as WaClient['on'],
    initialize: () => client.initialize(),
    sendMessage: async (chatId, text) => (await client.sendMessage(chatId, text)).id._serialized,
    sendVoice: async (chatId, file) => {
      const media = wweb.MessageMedia.fromFilePath(file);
      // WhatsApp plays a voice note only when it is marked as one and typed as OGG/Opus.
      media.mimetype = 'audio/ogg; codecs=opus';
      return (await client.sendMessage(chatId, media, { sendAudioAsVoice: true })).id._serialized;
    },
    downloadMedia: async (messageId) => {
      const message = await client.getMessageById(messageId);
      const media = message?.hasMedia ? await message.downloadMedia() : undefined;
      return media ? { data: media.data, mimetype: media.mimetype } : null;
    },
    deleteForEveryone: async (messageId) => {
      const message = await client.getMessageById(messageId);
      if (!message) return false;
      // WhatsApp lets a sender delete for everyone for about two days; after that this deletes
      // the copy on the bot's own devices only.
      await message.delete(true);
      return true;
    },
    getState: async () => {
      const state = await client.getState();
      return state === null ? null : String(state);
    },
    destroy: () => client.destroy(),
  };
}
