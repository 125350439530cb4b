import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { range, seedSubscribers } from './support/broadcast-seed.js';
import { cli } from './support/cli.js';
import { Harness } from './support/harness.js';

describe('cli broadcast: create, preview, send, status, cancel, report', () => {
  const h = new Harness();
  seedSubscribers(h, range(10, 5));
  seedSubscribers(h, range(20, 2), 'covid', 'whatsapp-cloud');
  h.app.close();
  const env = { DB_PATH: h.dbPath, SECRET_KEY_FILE: h.keyFile, TELEGRAM_BOT_TOKEN: '123:abc' };
  const file = (name: string, text: string) => {
    const path = join(h.dir, name);
    writeFileSync(path, text);
    return path;
  };
  afterAll(() => h.close());

  it('refuses a file that lacks a language, naming the file and line; --allow-missing takes it', () => {
    const message = file(
      'message.yaml',
      'es: "*Vacunas* gratis el sábado."\nen: "Free vaccines on Saturday."\n',
    );
    const refused = cli(['broadcast', 'create', '--topic', 'covid', '--file', message], '', env);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/message\.yaml:1:1 error: no ht text/);
    const bad = cli(
      ['broadcast', 'create', '--topic', 'covid', '--file', file('bad.yaml', 'es: "a"\nfr: "b"\n')],
      '',
      env,
    );
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/bad\.yaml:2:1 error: "fr" is not a language/);
    const made = cli(
      ['broadcast', 'create', '--topic', 'covid', '--file', message, '--allow-missing'],
      '',
      env,
    );
    expect(made.status, made.stderr).toBe(0);
    expect(made.stdout.trimEnd().split('\n').at(-1)).toBe('1');
    const json = cli(
      ['broadcast', 'create', '--topic', 'labour', '--file', message, '--allow-missing', '--json'],
      '',
      env,
    );
    expect(json.lines).toEqual([{ id: 2 }]);
  });

  it('previews every language as Telegram and WhatsApp show it', () => {
    const r = cli(['broadcast', 'preview', '1'], '', env);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('<b>Vacunas</b> gratis');
    expect(r.stdout).toContain('*Vacunas* gratis');
    expect(r.stdout).toMatch(/=== ht \(no text: Spanish with a note\) · Telegram/);
    expect(r.stdout).toContain('Nouvèl sa a poko nan lang ou');
  });

  it('--dry-run counts per channel and language and sends nothing; send queues; cancel stops', () => {
    const dry = cli(['broadcast', 'send', '1', '--dry-run'], '', env);
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/telegram\ses\t2/);
    expect(dry.stdout).toMatch(/telegram\sen\t2/);
    expect(dry.stdout).toMatch(/telegram\sht\t1/);
    expect(dry.stdout).toMatch(/whatsapp-cloud\ses\t1\t\(not sent/);
    expect(dry.stdout).toMatch(/would send 5 message/);
    expect(cli(['broadcast', 'status', '1', '--json'], '', env).lines).toEqual([
      { queued: 0, sent: 0, failed: 0, blocked: 0, replies: 0 },
    ]);
    const sent = cli(['broadcast', 'send', '1'], '', env);
    expect(sent.status, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(/queued/);
    const again = cli(['broadcast', 'send', '1'], '', env);
    expect(again.status).toBe(2);
    expect(cli(['broadcast', 'cancel', '1'], '', env).status).toBe(0);
    const status = cli(['broadcast', 'status', '1', '--follow'], '', env);
    expect(status.status).toBe(0);
    expect(status.stdout).toContain('cancelled');
    const report = cli(['report'], '', env);
    expect(report.status, report.stderr).toBe(0);
    const listed = report.stdout.slice(report.stdout.indexOf('Subscribers now'));
    expect(listed).toMatch(/3 {2}covid en\n\s+3 {2}covid es\n\s+1 {2}covid ht/);
    expect(listed).toMatch(/#2 labour draft [^\n]*: 0 \/ 0 \/ 0 \/ 0 \/ 0\n\s+#1 covid cancelled/);
  });
});
