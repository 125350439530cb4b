import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { contentPaths } from '../src/config/env.js';
import { checkContent } from '../src/content/check.js';
import { formatProblem } from '../src/content/problems.js';
import { buildReport, parseSince, reportToCsv } from '../src/report/report.js';
import { loadSafety } from '../src/safety/loader.js';
import type { SafetyFile } from '../src/safety/schema.js';
import { readPhrases, Triage } from '../src/safety/triage.js';
import { addRecent, RECENT_KEPT, recentIds } from '../src/store/recent-messages.js';
import { LANGS, type Lang } from '../src/text/lang.js';
import { cli } from './support/cli.js';
import { copyContent } from './support/content-dir.js';
import { Harness } from './support/harness.js';
import { readTranscript } from './support/transcript.js';

const ROOT = join(import.meta.dirname, '..');
const TRANSCRIPTS = join(import.meta.dirname, 'transcripts');

function triageOf(categories: SafetyFile['categories'], notDanger: Partial<SafetyFile['not_danger']> = {}) {
  return new Triage(readPhrases({ not_danger: { es: [], en: [], ht: [], ...notDanger }, categories }));
}

describe('danger triage: how a phrase matches', () => {
  const t = triageOf(
    {
      violence: {
        whole_message: false,
        es: ['me pegan'],
        en: ['hitting me', 'locked me in the room'],
        ht: [],
      },
      help_me: { whole_message: true, es: ['auxilio'], en: ['help me'], ht: ['ede m'] },
    },
    { es: ['se me pego'] },
  );
  const cases: Array<[string, string | null]> = [
    ['me pegan', 'violence'],
    ['Mi esposo ME PEGÓ anoche', 'violence'],
    ['me siguen pegando', 'violence'],
    ['me dijeron que pegan carteles', null],
    ['quiero pegar un afiche', null],
    ['he keeps hitting me', 'violence'],
    ['they locked me in the back room', 'violence'],
    ['they locked me in the very small dark room', null],
    ['they locked me in my room', null],
    ['help me', 'help_me'],
    ['HELP ME!!!', 'help_me'],
    ['help me with my contract please', null],
    ['auxilio auxilio', 'help_me'],
    ['ede m', 'help_me'],
    ['se me pegó el covid', null],
    ['se me pegó el covid y mi marido me pega', 'violence'],
    ['mi patron me da trabajo los domingos', null],
  ];
  for (const [text, want] of cases) {
    it(`"${text}" → ${want ?? 'no danger'}`, () => {
      expect(t.match(text, null)?.category ?? null).toBe(want);
    });
  }

  it('looks in every language and reports the one that matched, the preferred one first', () => {
    expect(t.match('ede m', 'es')).toEqual({ lang: 'ht', category: 'help_me' });
    expect(t.match('me pegan', 'en')).toEqual({ lang: 'es', category: 'violence' });
  });
});

describe('danger phrases file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const edited = (edit: (text: string) => string) => {
    const dir = copyContent();
    dirs.push(dir);
    const file = join(dir, 'data', 'safety.yaml');
    writeFileSync(file, edit(readFileSync(file, 'utf8')));
    return dir;
  };

  it('ships phrases of every category in the three languages, and no problem', () => {
    const { safety, problems } = loadSafety(join(ROOT, 'data', 'safety.yaml'), ROOT);
    expect(problems.map(formatProblem)).toEqual([]);
    for (const category of [
      'violence',
      'threats',
      'locked_or_watched',
      'trafficking',
      'sexual_abuse',
      'child_in_danger',
      'serious_injury',
      'self_harm',
      'help_me',
    ]) {
      for (const lang of LANGS)
        expect(safety.categories[category]?.[lang].length, category).toBeGreaterThan(10);
    }
  });

  it('reports, at its line, a phrase that can never match once normalised', () => {
    const dir = edited((text) =>
      text
        .replace('      - me golpea\n', '      - golpea\n      - "¡¡ !!"\n')
        .replace('    - se me pego\n', '    - covid\n'),
    );
    const report = checkContent(contentPaths(dir));
    const lines = report.problems.map(formatProblem);
    expect(report.ok).toBe(false);
    const lineOf = (s: string) =>
      readFileSync(join(dir, 'data', 'safety.yaml'), 'utf8')
        .split('\n')
        .findIndex((l) => l.includes(s)) + 1;
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(
            `^data/safety.yaml:${lineOf('- golpea')}:\\d+ error: the phrase "golpea" can never match`,
          ),
        ),
        expect.stringMatching(
          new RegExp(`^data/safety.yaml:${lineOf('¡¡ !!')}:\\d+ error: .*can never match`),
        ),
        expect.stringMatching(
          new RegExp(`^data/safety.yaml:${lineOf('- covid')}:\\d+ error: .*two words or more`),
        ),
      ]),
    );
  });

  it('reports a category without phrases in a language, a bad key, and a missing file', () => {
    const empty = edited((text) => text.replace(/ {4}ht:\n( {6}- .*\n)+/, '    ht: []\n'));
    expect(checkContent(contentPaths(empty)).problems.map((p) => p.code)).toContain('safety.empty.ht');
    const typo = edited((text) => text.replace('  violence:\n', '  violence:\n    wholemessage: true\n'));
    const p = checkContent(contentPaths(typo)).problems.find((x) => x.file === 'data/safety.yaml')!;
    expect(formatProblem(p)).toMatch(/^data\/safety.yaml:\d+:\d+ error: .*unknown key\(s\): wholemessage/);
    const gone = edited((text) => text);
    rmSync(join(gone, 'data', 'safety.yaml'));
    const missing = checkContent(contentPaths(gone));
    expect(missing.ok).toBe(false);
    expect(missing.problems.map((x) => x.code)).toContain('safety.missing');
  });

  it('warns when a danger cry swallows a command word', () => {
    const dir = edited((text) => text.replace('      - help me\n', '      - help me\n      - help\n'));
    const p = checkContent(contentPaths(dir)).problems.find((x) => x.code === 'safety.command');
    expect(p && formatProblem(p)).toMatch(
      /locales\/en\/common.json.*"help" word "help" is also a danger phrase/,
    );
  });
});

describe('content checks for safety', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('reports a safety entry without the urgent-help line, and a country without an emergency number', () => {
    const dir = copyContent();
    dirs.push(dir);
    const faq = join(dir, 'data', 'faq', 'trafficking.signs.yaml');
    writeFileSync(faq, readFileSync(faq, 'utf8').replace('🆘 If there is danger', 'If there is danger'));
    const contacts = join(dir, 'data', 'contacts.yaml');
    writeFileSync(
      contacts,
      readFileSync(contacts, 'utf8').replace(/ {4}emergency:\n( {6}- .*\n( {8}.*\n)*)+/, ''),
    );
    const r = cli(['check', '--json'], '', { CONTENT_DIR: dir });
    expect(r.status).toBe(1);
    const report = r.lines[0] as {
      problems: Array<{ file: string; line: number; code: string; message: string }>;
    };
    const urgent = report.problems.filter((p) => p.code === 'faq.urgent');
    expect(urgent).toEqual([
      expect.objectContaining({
        file: 'data/faq/trafficking.signs.yaml',
        message: expect.stringContaining('(en)'),
      }),
    ]);
    const lines = readFileSync(faq, 'utf8').split('\n');
    expect(lines[urgent[0]!.line - 1]).toMatch(/^ {2}answer:/);
    const noNumber = report.problems.filter((p) => p.code === 'contacts.emergency');
    expect(noNumber).toEqual([
      expect.objectContaining({
        file: 'data/contacts.yaml',
        message: expect.stringContaining('Guatemala (GT)'),
      }),
    ]);
  });

  it('keeps the Guatemala, Guyana and Panama police numbers marked as not yet verified', () => {
    const text = readFileSync(join(ROOT, 'data', 'contacts.yaml'), 'utf8');
    for (const n of ['"110"', '"911"', '"912"', '"913"', '"104"']) expect(text).toContain(`number: ${n}`);
    expect(text.match(/^ {8}verified: false$/gm)?.length).toBe(5);
  });
});

/** Replays a safety transcript, measuring what each tagged message got. */
async function measure(lang: Lang) {
  const t = readTranscript(join(TRANSCRIPTS, `safety-${lang}.yaml`));
  const h = new Harness();
  try {
    const hint = { lang, sure: true };
    const key = h.app.bot.userKeyOf('console', t.user);
    const m = {
      danger: 0,
      caught: 0,
      inSubmenu: 0,
      texting: 0,
      ordinary: 0,
      falseAlarms: [] as string[],
      smallTalkAnswered: [] as string[],
      stray: [] as string[],
      unanswered: [] as string[],
    };
    for (const step of t.steps) {
      if (!('say' in step)) continue;
      const at = h.app.store.sessions.read(key)?.session.at;
      const out = await h.send(t.user, { text: step.say }, hint);
      const tags = step.tags ?? [];
      const card = out.some((l) => l.safety === true);
      // No message but the card carries the key.
      for (const l of out) if ('safety' in l && l.safety !== true) m.stray.push(step.say);
      if (tags.includes('danger')) {
        m.danger++;
        if (card && out.at(-1)?.safety === true && out.length === 1) m.caught++;
        if (at && at.flow !== 'main') m.inSubmenu++;
        if (tags.includes('texting')) m.texting++;
      } else if (tags.length) {
        m.ordinary++;
        if (card) m.falseAlarms.push(step.say);
        if (tags.includes('smalltalk') && out.some((l) => l.faq)) m.smallTalkAnswered.push(step.say);
      }
    }
    m.unanswered = (h.app.db.prepare('SELECT query FROM unanswered').all() as Array<{ query: string }>).map(
      (r) => r.query,
    );
    return { m, t };
  } finally {
    h.close();
  }
}

describe('measured on our own set of messages', () => {
  for (const lang of LANGS) {
    it(`${lang}: every danger message gets the card, at most 1 in 20 others do, small talk is never an answer`, async () => {
      const { m, t } = await measure(lang);
      expect(m.danger).toBeGreaterThanOrEqual(25);
      expect(m.inSubmenu * 2).toBeGreaterThanOrEqual(m.danger);
      expect(m.texting * 3).toBeGreaterThanOrEqual(m.danger);
      expect(m.ordinary).toBeGreaterThanOrEqual(25);
      expect(m.caught).toBe(m.danger);
      expect(m.falseAlarms.length * 20, m.falseAlarms.join(' | ')).toBeLessThanOrEqual(m.ordinary);
      expect(m.smallTalkAnswered).toEqual([]);
      expect(m.stray).toEqual([]);
      // Small talk is never kept as a question nobody answered.
      const smallTalk = t.steps.flatMap((s) => ('say' in s && s.tags?.includes('smalltalk') ? [s.say] : []));
      for (const q of m.unanswered) expect(smallTalk.map((s) => s.toLowerCase())).not.toContain(q);
    });

    it(`${lang}: a danger message from someone new, language unknown, gets the card in that language`, async () => {
      const t = readTranscript(join(TRANSCRIPTS, `safety-${lang}.yaml`));
      const h = new Harness();
      try {
        const danger = t.steps.flatMap((s) => ('say' in s && s.tags?.includes('danger') ? [s.say] : []));
        const wrong: string[] = [];
        const triage = h.app.bot.current.triage;
        for (const [i, text] of danger.entries()) {
          const out = await h.send(`new-${lang}-${i}`, { text });
          // A cry every language shares ("SOS") may be answered in any of them.
          const shared = LANGS.filter((l) => triage.matchIn(l, text)).length > 1;
          if (out.length !== 1 || out[0]!.safety !== true || (!shared && out[0]!.lang !== lang))
            wrong.push(text);
        }
        expect(wrong).toEqual([]);
      } finally {
        h.close();
      }
    });
  }
});

describe('the emergency card', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('lists every country when the country is unknown, and only the user’s country once it is known', async () => {
    h = new Harness();
    const [card] = await h.say('u', 'me estan golpeando', 'es');
    expect(card!.safety).toBe(true);
    expect(card!.text).toContain('llama al 911');
    expect(card!.text).toContain('Guatemala: 110 policía');
    expect(card!.text).toContain('Guyana: 911 policía, 912 bomberos, 913 ambulancia');
    await h.say('u', 'menú');
    await h.say('u', '6');
    await h.say('u', 'Guyana');
    const [known] = await h.say('u', 'me estan golpeando');
    expect(known!.text).toContain('Emergencias en Guyana: 911 policía, 912 bomberos, 913 ambulancia');
    expect(known!.text).not.toContain('Guatemala');
  });

  it('comes before a link pre-filled inside the message, and the link still tags the campaign', async () => {
    h = new Harness();
    const [card] = await h.say(
      'poster',
      'Bonjou, mwen vle enfòmasyon (ht_labor_leader-12) msye a ap bat mwen',
    );
    expect(card).toMatchObject({ safety: true, lang: 'ht' });
    const key = h.app.bot.userKeyOf('console', 'poster');
    expect(h.app.store.sessions.read(key)?.session.campaign).toBe('leader-12');
    // Without danger, the same link opens its flow.
    const out = await h.say('poster2', 'Bonjou! Mwen vle enfòmasyon (ht_labor_leader-12)');
    expect(out.at(-1)).toMatchObject({ flow: 'labor', lang: 'ht' });
  });

  it('keeps the user where they were, leads to the emergency contacts, and counts each card by day and language', async () => {
    h = new Harness();
    await h.say('u', 'hola', 'en');
    await h.say('u', '1');
    const [card] = await h.say('u', 'he is beating me');
    expect(card).toMatchObject({ safety: true, flow: 'labor', step: 'topics', lang: 'en' });
    const key = h.app.bot.userKeyOf('console', 'u');
    expect(h.app.store.sessions.read(key)?.session).toMatchObject({
      at: { flow: 'labor', step: 'topics' },
      history: [{ flow: 'main', step: 'home' }],
    });
    const contacts = await h.send('u', { choice: 'emergency' });
    expect(contacts.at(-1)).toMatchObject({ flow: 'emergency', step: 'choose' });
    expect((await h.say('u', 'back')).at(-1)).toMatchObject({ flow: 'labor', step: 'topics' });
    await h.say('v', 'anmwe', 'ht');
    const r = buildReport(h.app.db, parseSince('1d'));
    const today = new Date().toISOString().slice(0, 10);
    expect(r.safety).toEqual([
      { day: today, lang: 'en', count: 1 },
      { day: today, lang: 'ht', count: 1 },
    ]);
    expect(reportToCsv(r)).toContain(`safety,,en,,,,,1,,,,,${today}`);
    // Cards older than the retention period are still counted, from the daily totals.
    const yesterday = Date.parse(today) - 86_400_000;
    h.app.db
      .prepare("INSERT INTO daily_counts (day, name, lang, count) VALUES (?, 'safety_card', 'es', 3)")
      .run(yesterday);
    expect(buildReport(h.app.db, parseSince('3d')).safety[0]).toEqual({
      day: new Date(yesterday).toISOString().slice(0, 10),
      lang: 'es',
      count: 3,
    });
    const events = h.app.db.prepare("SELECT * FROM events WHERE name = 'safety_card'").all();
    expect(JSON.stringify(events)).not.toMatch(/beating|anmwe/);
  });
});

describe('help that always helps', () => {
  let h: Harness;
  afterEach(() => h.close());

  const cases: Array<[Lang, string, RegExp]> = [
    ['es', 'ayuda', /^🆘 En una emergencia, llama al 911/],
    ['en', 'help', /^🆘 In an emergency, call 911/],
    ['ht', 'èd', /^🆘 Si gen ijans, rele 911/],
    ['es', '?', /^🆘 En una emergencia, llama al 911/],
  ];
  for (const [lang, word, first] of cases) {
    it(`"${word}" (${lang}) begins with the emergency numbers`, async () => {
      h = new Harness();
      await h.say('u', 'menu', lang);
      const out = await h.say('u', word);
      expect(out[0]!.text).toMatch(first);
      expect(out[0]!.text).toMatch(/\b(911|110)\b/);
      expect(out[0]!.safety).toBeUndefined();
    });
  }

  it("gives the user's country's numbers once the country is known", async () => {
    h = new Harness();
    await h.say('u', 'menu', 'en');
    await h.say('u', '6');
    await h.say('u', '2');
    expect((await h.say('u', 'help'))[0]!.text).toMatch(/^🆘 Emergencies in Guatemala: 110 police/);
  });

  it('gives the numbers in every language before the language is known', async () => {
    h = new Harness();
    const out = await h.say('u', '?');
    expect(out[0]!.text.split('\n')).toHaveLength(3);
    expect(out[0]!.text).toContain('llama al 911');
    expect(out[0]!.text).toContain('call 911');
    expect(out[0]!.text).toContain('rele 911');
    expect(out.at(-1)).toMatchObject({ flow: 'language' });
  });
});

describe('quick exit', () => {
  let h: Harness;
  afterEach(() => h.close());

  const exits: Array<[Lang, string]> = [
    ['es', 'salir'],
    ['en', 'exit'],
    ['ht', 'sòti'],
    ['ht', 'soti'],
    ['en', '/exit'],
  ];
  for (const [lang, word] of exits) {
    it(`"${word}" deletes everything as stop does and says one innocuous line`, async () => {
      h = new Harness();
      await h.say('u', 'menu', lang);
      await h.say('u', '1');
      const reply = await h.app.bot.handle({ channel: 'console', user: 'u', event: { text: word } });
      expect(reply.messages).toEqual([{ text: 'OK 👍', options: [], flow: null, step: null }]);
      expect(reply.session).toBeNull();
      expect(h.app.store.sessions.read(h.app.bot.userKeyOf('console', 'u'))).toBeNull();
      expect(h.app.db.prepare('SELECT count(*) AS n FROM sessions').get()).toEqual({ n: 0 });
    });
  }

  it('is an option of the card, and a press on an old card still leaves at once', async () => {
    h = new Harness();
    await h.say('u', 'hola', 'es');
    const [card] = await h.say('u', 'me van a matar');
    const n = card!.options.findIndex((o) => o.id === 'exit') + 1;
    expect(await h.say('u', String(n))).toEqual([expect.objectContaining({ text: 'OK 👍' })]);
    await h.say('w', 'hola', 'es');
    await h.say('w', 'me van a matar');
    await h.say('w', 'menú');
    await h.say('w', '1');
    const late = await h.send('w', { choice: 'exit', at: { flow: 'main', step: 'home' } });
    expect(late).toEqual([expect.objectContaining({ text: 'OK 👍' })]);
    expect(h.app.db.prepare('SELECT count(*) AS n FROM sessions').get()).toEqual({ n: 0 });
  });
});

describe('small talk', () => {
  let h: Harness;
  afterEach(() => h.close());

  const answers: Array<[Lang, string, boolean]> = [
    ['es', 'si', true],
    ['es', 'sí', true],
    ['es', 'claro', true],
    ['ht', 'wi', true],
    ['ht', 'non', false],
    ['es', 'no', false],
    ['en', 'yes', true],
    ['en', 'nope', false],
    ['en', '👍', true],
    ['ht', '👎', false],
  ];
  for (const [lang, word, helpful] of answers) {
    it(`"${word}" answers "was this helpful?" (${lang})`, async () => {
      h = new Harness();
      await h.say('u', 'menu', lang);
      await h.say('u', '1');
      expect((await h.say('u', '1')).at(-1)?.faq).toBe('labor.unpaid-wages');
      await h.say('u', word);
      expect(h.app.db.prepare('SELECT faq, helpful FROM feedback').all()).toEqual([
        { faq: 'labor.unpaid-wages', helpful: helpful ? 1 : 0 },
      ]);
    });
  }

  it('"basta" and "sispann" keep the data; the deletion words still delete it', async () => {
    h = new Harness();
    const key = (u: string) => h.app.bot.userKeyOf('console', u);
    for (const [u, word, lang] of [
      ['a', 'basta', 'es'],
      ['b', 'sispann', 'ht'],
    ] as const) {
      await h.say(u, 'menu', lang);
      const out = await h.say(u, word);
      expect(out.every((l) => !l.faq && !l.safety)).toBe(true);
      expect(h.app.store.sessions.read(key(u))).not.toBeNull();
    }
    for (const [u, word] of [
      ['c', 'stop'],
      ['d', 'borrar mis datos'],
      ['e', 'efase done m'],
      ['f', 'delete my data'],
      ['g', 'efase enfòmasyon m'],
    ] as const) {
      await h.say(u, 'menu', 'es');
      await h.say(u, word);
      expect(h.app.store.sessions.read(key(u)), word).toBeNull();
    }
  });

  it('a greeting or an emoji gets a short reply and the options the user is looking at', async () => {
    h = new Harness();
    await h.say('u', 'menu', 'es');
    await h.say('u', '2');
    for (const text of ['holaaa', '😊', 'jajajaja', 'ok gracias']) {
      const out = await h.say('u', text);
      expect(out, text).toHaveLength(2);
      expect(out[1]).toMatchObject({ flow: 'covid', step: 'topics' });
    }
    expect(h.app.db.prepare('SELECT count(*) AS n FROM unanswered').get()).toEqual({ n: 0 });
  });
});

describe('recent message ids for a quick exit', () => {
  const hour = 3_600_000;
  it('keeps ids at least 48 hours, at most the newest few hundred, and nothing but plain ids', () => {
    const t0 = Date.UTC(2026, 0, 1, 23);
    let raw = addRecent('', ['10', '11'], t0);
    raw = addRecent(raw, ['12', 'true_50937000000@c.us_ABC', 'a,b'], t0 + 2 * hour);
    expect(recentIds(raw, t0 + 2 * hour)).toEqual(['10', '11', '12']);
    expect(recentIds(raw, t0 + 48 * hour)).toEqual(['10', '11', '12']);
    expect(recentIds(raw, t0 + 49 * hour)).toEqual(['12']);
    expect(recentIds(raw, t0 + 74 * hour)).toEqual([]);
    expect(raw).not.toContain('5093');
    const many = addRecent(
      '',
      Array.from({ length: RECENT_KEPT + 50 }, (_, i) => String(i)),
      t0,
    );
    expect(recentIds(many, t0)).toHaveLength(RECENT_KEPT);
    expect(recentIds(many, t0)[0]).toBe('50');
  });
});
