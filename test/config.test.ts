import { describe, expect, it } from 'vitest';
import { ConfigError, cloudApiEnabled, loadConfig } from '../src/config/env.js';

describe('configuration', () => {
  it('has working defaults', () => {
    const c = loadConfig({}, false);
    expect(c.DEFAULT_LANG).toBe('es');
    expect(c.paths.db).toMatch(/data\/runtime\/puente\.db$/);
    expect(c.RETENTION_DAYS).toBe(90);
    expect(c.WHATSAPP_ENABLED).toBe(false);
  });

  it('names every wrong variable and points to the README', () => {
    let error: unknown;
    try {
      loadConfig({ DEFAULT_LANG: 'fr', RETENTION_DAYS: '-3', TELEGRAM_API_ROOT: 'not a url' }, false);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('DEFAULT_LANG');
    expect(message).toContain('RETENTION_DAYS');
    expect(message).toContain('TELEGRAM_API_ROOT');
    expect(message).toContain('README');
  });

  it('turns the WhatsApp Cloud API on with a token and a phone number id, and asks for the rest', () => {
    const off = loadConfig({}, false);
    expect(cloudApiEnabled(off)).toBe(false);
    expect(off.WHATSAPP_CLOUD_API_ROOT).toBe('https://graph.facebook.com');
    expect(off.WHATSAPP_CLOUD_API_VERSION).toMatch(/^v\d+\.0$/);
    expect(off.HTTP_HOST).toBe('127.0.0.1');
    const full = {
      WHATSAPP_CLOUD_TOKEN: 'EAAG...',
      WHATSAPP_CLOUD_PHONE_NUMBER_ID: '109876543210',
      WHATSAPP_CLOUD_APP_SECRET: 'app-secret',
      WHATSAPP_CLOUD_VERIFY_TOKEN: 'verify',
      WHATSAPP_CLOUD_API_ROOT: 'http://127.0.0.1:9999/',
      WHATSAPP_CLOUD_API_VERSION: 'v23.0',
      HTTP_PORT: '8081',
    };
    const on = loadConfig(full, false);
    expect(cloudApiEnabled(on)).toBe(true);
    expect(on.WHATSAPP_CLOUD_API_ROOT).toBe('http://127.0.0.1:9999');
    expect(on.WHATSAPP_CLOUD_API_VERSION).toBe('v23.0');
    expect(on.HTTP_PORT).toBe(8081);
    // Beside WhatsApp Web and Telegram.
    expect(
      loadConfig({ ...full, WHATSAPP_ENABLED: '1', TELEGRAM_BOT_TOKEN: '1:x' }, false).WHATSAPP_ENABLED,
    ).toBe(true);

    const message = (env: Record<string, string>) => {
      try {
        loadConfig(env, false);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      return '';
    };
    expect(message({ WHATSAPP_CLOUD_TOKEN: 'x' })).toContain('WHATSAPP_CLOUD_PHONE_NUMBER_ID');
    const missing = message({ WHATSAPP_CLOUD_TOKEN: 'x', WHATSAPP_CLOUD_PHONE_NUMBER_ID: '109876543210' });
    expect(missing).toContain('WHATSAPP_CLOUD_APP_SECRET');
    expect(missing).toContain('WHATSAPP_CLOUD_VERIFY_TOKEN');
    expect(message({ ...full, WHATSAPP_CLOUD_API_VERSION: '24' })).toContain('WHATSAPP_CLOUD_API_VERSION');
    expect(message({ ...full, WHATSAPP_CLOUD_PHONE_NUMBER_ID: '+1 555' })).toContain(
      'WHATSAPP_CLOUD_PHONE_NUMBER_ID',
    );
    expect(message({ ...full, WHATSAPP_CLOUD_API_ROOT: 'graph' })).toContain('WHATSAPP_CLOUD_API_ROOT');
  });
});
