import { existsSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import QRCode from 'qrcode';
import qrcodeTerminal from 'qrcode-terminal';
import { ROOT } from '../../config/env.js';
import type { App } from '../../runtime/app.js';
import type { RunningChannel } from '../channel.js';
import { WhatsAppAdapter } from './adapter.js';
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
  const sessionDir = isAbsolute(config.WHATSAPP_SESSION_DIR)
    ? config.WHATSAPP_SESSION_DIR
    : join(ROOT, config.WHATSAPP_SESSION_DIR);
  mkdirSync(sessionDir, { recursive: true });
  const qrPng = join(dirname(sessionDir), 'whatsapp-qr.png');
  const adapter = new WhatsAppAdapter(app.bot, log, {
    factory: () =>
      createWwebClient({
        sessionDir,
        browser,
        webVersion: config.WHATSAPP_WEB_VERSION,
        webVersionUrl: config.WHATSAPP_WEB_VERSION_URL,
      }),
    onQr: (qr) => {
      qrcodeTerminal.generate(qr, { small: true }, (art) => process.stderr.write(`${art}\n`));
      QRCode.toFile(qrPng, qr, { width: 512 })
        .then(() => log.info({ file: qrPng }, 'whatsapp: QR code written as PNG'))
        .catch((e: unknown) => log.warn({ reason: String(e) }, 'whatsapp: could not write the QR PNG'));
    },
  });
  adapter.start();
  const health = setInterval(() => void adapter.checkHealth(), HEALTH_EVERY_MS);
  health.unref();
  return {
    name: 'whatsapp',
    stop: async () => {
      clearInterval(health);
      await adapter.stop();
    },
  };
}
