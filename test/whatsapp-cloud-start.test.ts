import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../src/config/env.js';
import { GraphApiStandIn, wa } from './support/graph-api-standin.js';

describe('WHATSAPP_CLOUD_TOKEN=... starts the bot with its webhook on the HTTP server', () => {
  const api = new GraphApiStandIn();
  const dir = mkdtempSync(join(tmpdir(), 'puente-cloudstart-'));
  beforeAll(async () => {
    await api.start();
  });
  afterAll(async () => {
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a signed webhook call through the Graph API and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        ...api.env(),
        HTTP_PORT: '0',
        HTTP_HOST: '127.0.0.1',
        DB_PATH: join(dir, 'bot.db'),
        SECRET_KEY_FILE: join(dir, 'secret.key'),
        HOT_RELOAD: '0',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d) => {
      log += String(d);
    });
    child.stderr.on('data', (d) => {
      log += String(d);
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const from = '50937000777';
    try {
      await api.until(() => /"msg":"http server listening"/.test(log), 20_000);
      const port = Number(/"port":(\d+)[^\n]*http server listening/.exec(log)?.[1]);
      expect(port).toBeGreaterThan(0);
      expect(log).toContain('whatsapp-cloud: the Cloud API accepted the token');
      const url = `http://127.0.0.1:${port}/whatsapp`;
      const verify = await fetch(
        `${url}?hub.mode=subscribe&hub.verify_token=${api.verifyToken}&hub.challenge=42`,
      );
      expect(await verify.text()).toBe('42');
      const res = await api.post(url, api.body({ messages: [wa.text(from, 'bonjou')] }));
      expect(res.status).toBe(200);
      await api.until(() => api.delivered(from).length >= 2);
      expect(JSON.stringify(api.delivered(from).at(-1))).toContain('Dwa travay ak jistis');
      expect(log).not.toContain(from);
      expect(log).not.toContain('bonjou');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(log).toContain('shutting down');
  });
});
