import { existsSync, mkdirSync, renameSync } from 'node:fs';
import QRCode from 'qrcode';
import qrcodeTerminal from 'qrcode-terminal';
import { dataDirOf } from '../../audio/file.js';
import type { App } from '../../runtime/app.js';
import type { RunningChannel } from '../channel.js';
import { connectWhatsAppHandoff, WhatsAppAdapter } from './adapter.js';
import { whatsappWebOutboxBroadcast } from './broadcast.js';
import { whatsappFiles, writeWaState } from './state.js';
import { createWwebClient } from './wweb.js';

const HEALTH_EVERY_MS = 60_000;
export const DEFAULT_BROWSER = '/usr/bin/chromium';

/** Starts WhatsApp Web with the system's Chromium, or says clearly why it cannot. */
export async function startWhatsApp(app: App): Promise<RunningChannel | null> {
  const { config, log } = app;
  const browser = config.CHROME_PATH ?? DEFAULT_BROWSER;
  if (!existsSync(browser)) {
    log.error(
      { browser },
      'whatsapp: no browser found. Install Chromium (Debian: apt-get install chromium) or set CHROME_PATH to a Chrome or Chromium binary. WhatsApp stays off.',
    );
    return null;
  }
  const { sessionDir, qrPng, stateFile } = whatsappFiles(config);
  mkdirSync(sessionDir, { recursive: true });
  const adapter = new WhatsAppAdapter(app.bot, log, {
    graceMs: config.WHATSAPP_GRACE_MIN * 60_000,
    retryForMs: config.OUTBOX_RETRY_H * 3600_000,
    dataDir: dataDirOf(config.paths.root),
    factory: () =>
      createWwebClient({
        sessionDir,
        browser,
        webVersion: config.WHATSAPP_WEB_VERSION,
        webVersionUrl: config.WHATSAPP_WEB_VERSION_URL,
      }),
    onQr: (qr) => {
      qrcodeTerminal.generate(qr, { small: true }, (art) => process.stderr.write(`${art}\n`));
      // Written aside and renamed: the studio may be reading the previous code at that moment.
      QRCode.toFile(`${qrPng}.tmp`, qr, { type: 'png', width: 512 })
        .then(() => renameSync(`${qrPng}.tmp`, qrPng))
        .then(() => log.info({ file: qrPng }, 'whatsapp: QR code written as PNG'))
        .catch((e: unknown) => log.warn({ reason: String(e) }, 'whatsapp: could not write the QR PNG'));
    },
    // For the studio: the person holding the phone sees the state and the latest QR code.
    onState: (state) => writeWaState(stateFile, state, new Date()),
  });
  // Staff replies from the inbox reach WhatsApp users through the outbox, after the bot's.
  if (app.handoff) connectWhatsAppHandoff(app.handoff, adapter);
  adapter.start();
  const broadcastOutbox = config.WHATSAPP_WEB_BROADCAST
    ? whatsappWebOutboxBroadcast(adapter, app)
    : undefined;
  const health = setInterval(() => void adapter.checkHealth(), HEALTH_EVERY_MS);
  health.unref();
  return {
    name: 'whatsapp',
    state: () => (adapter.isReady() ? 'connected' : 'disconnected'),
    up: () => adapter.isReady(),
    broadcastOutbox,
    stop: async (graceMs = 0) => {
      clearInterval(health);
      await adapter.stop(graceMs);
    },
  };
}
