import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsQRModule from 'jsqr';
import { PNG } from 'pngjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { contentPaths } from '../src/config/env.js';
import { checkContent, checkRepo } from '../src/content/check.js';
import { formatProblem } from '../src/content/problems.js';
import { parsePayload } from '../src/engine/payload.js';
import { flowToMermaid } from '../src/flows/graph.js';
import { loadFlows } from '../src/flows/loader.js';
import { buildLinks } from '../src/links/links.js';
import { buildReport, parseSince, reportToCsv } from '../src/report/report.js';
import { cli } from './support/cli.js';
import { copyContent } from './support/content-dir.js';
import { Harness } from './support/harness.js';

// jsqr is CommonJS with an ES-style default export: take the function from either shape.
const jsQR = ((jsQRModule as unknown as { default?: typeof jsQRModule }).default ??
  jsQRModule) as unknown as (
  data: Uint8ClampedArray,
  width: number,
  height: number,
) => { data: string } | null;

const FIXTURES = join(import.meta.dirname, 'fixtures');
const pathsOf = (dir: string) => contentPaths(dir);

describe('cli check', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('finds nothing wrong in the repository content: no error, and warnings only about review and verification', () => {
    const report = checkRepo();
    expect(report.problems.filter((p) => p.severity === 'error').map(formatProblem)).toEqual([]);
    // What staff still have to do is listed, never hidden: reviews, and contacts to confirm.
    const others = report.problems.filter(
      (p) => !['review.missing', 'review.stale', 'review.overdue', 'contacts.unverified'].includes(p.code),
    );
    expect(others.map(formatProblem)).toEqual([]);
    expect(report.missingStrings).toEqual({ es: 0, en: 0, ht: 0 });
  });

  /** Adds one of the broken flow fixtures to a copy of the content. */
  const brokenFlow = (name: string) => (d: string) =>
    copyFileSync(join(FIXTURES, 'broken-flows', name), join(d, 'flows', name));

  /** Each kind of error, from a deliberately broken copy of the content. */
  const cases: Array<[string, (dir: string) => void, string, RegExp]> = [
    ['schema', brokenFlow('unknown-kind.yaml'), 'schema.invalid_union', /flows\/unknown-kind.yaml:5:\d+/],
    ['missing target', brokenFlow('missing-step.yaml'), 'ref.step', /no step "nowhere"/],
    ['unreachable step', brokenFlow('unreachable.yaml'), 'step.unreachable', /"lonely" cannot be reached/],
    ['missing FAQ id', brokenFlow('missing-faq.yaml'), 'ref.faq', /labor.no-such-topic/],
    [
      'missing flow string',
      brokenFlow('missing-translation.yaml'),
      'string.missing.ht',
      /"flow.missing-translation:hello.text"/,
    ],
    [
      'missing locale string',
      (d) => {
        const f = join(d, 'locales', 'en', 'common.json');
        const data = JSON.parse(readFileSync(f, 'utf8'));
        delete data.hint.number;
        writeFileSync(f, JSON.stringify(data, null, 2));
      },
      'string.missing.en',
      /"hint.number" is missing/,
    ],
    [
      'missing FAQ language',
      (d) => {
        const f = join(d, 'data', 'faq', 'help.human.yaml');
        writeFileSync(f, readFileSync(f, 'utf8').replace(/\nht:[\s\S]*$/, '\n'));
      },
      'string.missing.ht',
      /Haitian Creole \(ht\) version is missing/,
    ],
    [
      'label too long',
      (d) => copyFileSync(join(FIXTURES, 'limits', 'long-label.yaml'), join(d, 'flows', 'long-label.yaml')),
      'limit.label',
      /Telegram button/,
    ],
    [
      'callback data too long',
      (d) =>
        copyFileSync(join(FIXTURES, 'limits', 'long-callback.yaml'), join(d, 'flows', 'long-callback.yaml')),
      'limit.callback',
      /64-byte callback data/,
    ],
    [
      'payload too long',
      (d) => {
        const name = readdirSync(join(FIXTURES, 'limits')).find((f) => f.startsWith('a-flow-id'))!;
        copyFileSync(join(FIXTURES, 'limits', name), join(d, 'flows', name));
      },
      'limit.payload',
      /Telegram allows 64/,
    ],
  ];

  for (const [name, breakIt, code, message] of cases) {
    it(`reports ${name}`, () => {
      const dir = copyContent();
      dirs.push(dir);
      breakIt(dir);
      const report = checkContent(pathsOf(dir));
      const p = report.problems.find((x) => x.code === code);
      expect(p, report.problems.map(formatProblem).join('\n')).toBeDefined();
      expect(formatProblem(p!)).toMatch(message);
      expect(p!.hint).toBeTruthy();
      if (p!.severity === 'error') expect(report.ok).toBe(false);
    });
  }

  it('counts missing strings per language and exits 1, also as JSON', () => {
    const dir = copyContent();
    dirs.push(dir);
    copyFileSync(
      join(FIXTURES, 'broken-flows', 'missing-translation.yaml'),
      join(dir, 'flows', 'missing-translation.yaml'),
    );
    const r = cli(['check', '--json'], '', { CONTENT_DIR: dir });
    expect(r.status).toBe(1);
    const report = r.lines[0] as {
      ok: boolean;
      missingStrings: Record<string, number>;
      problems: Array<{ severity: string; file: string; line: number; column: number; hint: string }>;
    };
    expect(report.ok).toBe(false);
    expect(report.missingStrings).toEqual({ es: 0, en: 0, ht: 1 });
    const errors = report.problems.filter((p) => p.severity === 'error');
    expect(errors).toEqual([expect.objectContaining({ file: 'flows/missing-translation.yaml', line: 6 })]);
    const ok = cli(['check'], '');
    expect(ok.status, ok.stdout).toBe(0);
  });
});

describe('cli flows graph', () => {
  it('draws a flow as a Mermaid flowchart', () => {
    const { flows } = loadFlows(join(import.meta.dirname, '..', 'flows'));
    const chart = flowToMermaid(flows.get('labor')!);
    expect(chart.startsWith('flowchart TD\n')).toBe(true);
    expect(chart).toContain('-->|"unpaid: No me pagan"|');
    expect(chart).toContain('[("FAQ: labor.unpaid-wages")]');
    expect(chart).not.toContain('<');
  });

  it('prints it, or writes it to a Markdown file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'puente-graph-'));
    try {
      expect(cli(['flows', 'graph', 'covid'], '').stdout).toMatch(/^flowchart TD/);
      const out = join(dir, 'covid.md');
      expect(cli(['flows', 'graph', 'covid', '--out', out], '').status).toBe(0);
      expect(readFileSync(out, 'utf8')).toContain('```mermaid\nflowchart TD');
      expect(cli(['flows', 'graph', 'nope'], '').status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cli links', () => {
  const dir = mkdtempSync(join(tmpdir(), 'puente-links-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = {
    TELEGRAM_BOT_USERNAME: 'PuenteBot',
    WHATSAPP_NUMBER: '50937000000',
    DB_PATH: join(dir, 'l.db'),
    SECRET_KEY_FILE: join(dir, 'secret.key'),
  };

  it('builds both links, tagged with the campaign, and a QR code that decodes to the link', () => {
    const png = join(dir, 'poster.png');
    const r = cli(
      ['links', '--flow', 'trafficking', '--lang', 'ht', '--campaign', 'leader-12', '--qr', png, '--json'],
      '',
      env,
    );
    expect(r.status, r.stderr).toBe(0);
    const links = r.lines[0] as { telegram: string; whatsapp: string; payload: string };
    expect(links.telegram).toBe('https://t.me/PuenteBot?start=ht_trafficking_leader-12');
    expect(links.whatsapp).toBe('https://wa.me/50937000000?text=ht_trafficking_leader-12');
    const image = PNG.sync.read(readFileSync(png));
    const decoded = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
    expect(decoded?.data).toBe(links.whatsapp);
    const svg = join(dir, 'poster.svg');
    expect(
      cli(['links', '--flow', 'labor', '--lang', 'es', '--qr', svg, '--qr-for', 'telegram'], '', env).status,
    ).toBe(0);
    expect(readFileSync(svg, 'utf8')).toContain('<svg');
  });

  it('refuses a bad campaign tag, an unknown flow, and missing settings', () => {
    expect(
      cli(['links', '--flow', 'labor', '--lang', 'es', '--campaign', 'no spaces!'], '', env).status,
    ).toBe(2);
    expect(cli(['links', '--flow', 'nope', '--lang', 'es'], '', env).status).toBe(2);
    expect(cli(['links', '--flow', 'labor', '--lang', 'xx'], '', env).status).toBe(2);
    expect(
      cli(['links', '--flow', 'labor', '--lang', 'es'], '', {
        TELEGRAM_BOT_USERNAME: '',
        WHATSAPP_NUMBER: '',
      }).status,
    ).toBe(1);
  });

  it('round-trips: the payload of each link, fed to the engine, opens that flow in that language', async () => {
    const h = new Harness();
    try {
      for (const [flow, lang] of [
        ['labor', 'ht'],
        ['covid', 'en'],
        ['children', 'es'],
        ['trafficking', 'ht'],
      ] as const) {
        const links = buildLinks(
          { flow, lang, campaign: 'c-1' },
          { telegramBot: 'PuenteBot', whatsappNumber: '50937000000' },
        );
        const fromTelegram = new URL(links.telegram!).searchParams.get('start')!;
        const fromWhatsApp = new URL(links.whatsapp!).searchParams.get('text')!;
        expect(parsePayload(fromTelegram)).toEqual({ flow, lang, campaign: 'c-1' });
        const viaStart = await h.send(`tg-${flow}`, { start: fromTelegram });
        const viaText = await h.send(`wa-${flow}`, { text: fromWhatsApp });
        for (const out of [viaStart, viaText]) expect(out.find((m) => m.flow === flow)?.lang).toBe(lang);
      }
    } finally {
      h.close();
    }
  });
});

describe('cli report', () => {
  it('counts conversations, flows, FAQ feedback and unanswered questions, with no identifiers', async () => {
    const h = new Harness();
    try {
      await h.send('a', { start: 'ht_labor_leader-1' });
      await h.send('a', { text: '1' });
      await h.send('a', { text: '1' });
      await h.send('b', { start: 'ht_labor_leader-1' });
      await h.send('c', { text: 'hola' }, { lang: 'es', sure: true }, 'whatsapp');
      await h.send('c', { text: 'quien gano el partido' }, undefined, 'whatsapp');
      await h.send('d', { text: 'hello' }, { lang: 'en', sure: true }, 'telegram');
      await h.send('d', { text: 'who won the football match' }, undefined, 'telegram');
      await h.send('e', { text: 'hola' }, { lang: 'es', sure: true }, 'whatsapp');
      await h.send('e', { text: 'quien gano el partido' }, undefined, 'whatsapp');
      const r = buildReport(h.app.db, parseSince('30d'));
      expect(r.conversations).toEqual(
        expect.arrayContaining([
          { channel: 'console', lang: 'ht', campaign: 'leader-1', count: 2 },
          { channel: 'whatsapp', lang: 'es', campaign: null, count: 2 },
          { channel: 'telegram', lang: 'en', campaign: null, count: 1 },
        ]),
      );
      expect(r.flows.find((f) => f.flow === 'labor')).toMatchObject({ started: 2 });
      expect(r.faq[0]).toEqual({ id: 'labor.unpaid-wages', shown: 1, helpful: 1, notHelpful: 0 });
      expect(r.unanswered[0]).toEqual({ query: 'quien gano el partido', lang: 'es', count: 2 });
      const text = JSON.stringify(r) + reportToCsv(r);
      for (const user of ['"a"', '"c"', 'userKey', h.app.bot.userKeyOf('console', 'a')])
        expect(text).not.toContain(user);
      expect(reportToCsv(r).split('\n')[0]).toBe(
        'section,channel,lang,campaign,flow,faq,query,count,started,completed,helpful,not_helpful,day',
      );
      expect(buildReport(h.app.db, Date.now() + 1000).conversations).toEqual([]);
    } finally {
      h.close();
    }
  });

  it('runs from the command line as a table, JSON or CSV', () => {
    const dir = mkdtempSync(join(tmpdir(), 'puente-report-'));
    try {
      const env = { DB_PATH: join(dir, 'r.db'), SECRET_KEY_FILE: join(dir, 'secret.key') };
      cli(['chat', '--json', '--lang', 'es'], 'hola\n1\n', env);
      const json = cli(['report', '--since', '7d', '--json'], '', env);
      expect(json.status, json.stderr).toBe(0);
      expect(Object.keys(json.lines[0] as object)).toEqual([
        'since',
        'conversations',
        'flows',
        'faq',
        'unanswered',
        'safety',
        'voice',
      ]);
      expect(cli(['report', '--csv'], '', env).stdout).toMatch(/^section,/);
      expect(cli(['report'], '', env).stdout).toContain('Conversations started');
      expect(cli(['report'], '', env).stdout).toContain('Emergency cards shown');
      expect(cli(['report'], '', env).stdout).toContain('Voice notes received');
      expect(cli(['report', '--since', 'yesterday-ish'], '', env).status).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
