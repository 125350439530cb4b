import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BROWSER } from '../src/channels/whatsapp/run.js';
import { createWwebClient } from '../src/channels/whatsapp/wweb.js';

/**
 * Opt-in: launches the real whatsapp-web.js client in Chromium. It needs a browser and a
 * network that reaches WhatsApp Web; it passes when the QR code arrives.
 */
describe.skipIf(process.env.WHATSAPP_E2E !== '1')(
  'whatsapp-web.js in a real browser (WHATSAPP_E2E=1)',
  () => {
    it('launches Chromium and reaches the QR step', async () => {
      const browser = process.env.CHROME_PATH ?? DEFAULT_BROWSER;
      expect(existsSync(browser), `no browser at ${browser}`).toBe(true);
      const dir = mkdtempSync(join(tmpdir(), 'puente-wa-e2e-'));
      const client = createWwebClient({ sessionDir: dir, browser });
      try {
        const qr = new Promise<string>((resolve) => client.on('qr', resolve));
        void client.initialize();
        const code = await Promise.race([
          qr,
          new Promise<string>((_, reject) =>
            setTimeout(() => reject(new Error('no QR within 90 s')), 90_000),
          ),
        ]);
        expect(code.length).toBeGreaterThan(20);
      } finally {
        await client.destroy().catch(() => undefined);
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);
  },
);
