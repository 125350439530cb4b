import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/env.js';

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
});
