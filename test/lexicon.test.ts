import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatProblem } from '../src/content/problems.js';
import { loadLexiconDir } from '../src/faq/lexicon.js';
import { defaultLexicon, Lexicon } from '../src/faq/normalize.js';
import { Harness } from './support/harness.js';

const ROOT = join(import.meta.dirname, '..');

describe('the lexicon (data/lexicon/<lang>.yaml)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'puente-lexicon-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads the repository files without a problem', () => {
    expect(loadLexiconDir(join(ROOT, 'data', 'lexicon'), ROOT).problems.map(formatProblem)).toEqual([]);
  });

  it('names the file and line of a mistake: a bad concept id, a broken rule, a word under two concepts', () => {
    const lex = join(dir, 'data', 'lexicon');
    mkdirSync(lex, { recursive: true });
    writeFileSync(
      join(lex, 'es.yaml'),
      '# staff notes\nconcepts:\n  PAY: [pisto, lana]\n  pay: [sueldo]\n  BOSS: [jefe, lana]\nrules:\n  - { match: "([a-z", replace: "" }\n',
    );
    writeFileSync(join(lex, 'en.yaml'), 'spellings:\n  u: you\n');
    writeFileSync(join(lex, 'ht.yaml'), 'concepts:\n  PAY: [kob]\n  BOSS: [bos, kob]\n');
    const { problems } = loadLexiconDir(lex, dir);
    const shown = problems.map(formatProblem).join('\n');
    expect(shown).toMatch(
      /data\/lexicon\/es\.yaml:4:\d+ error: [^\n]*\n {2}fix: a concept id is in capitals/,
    );
    expect(shown).toMatch(/data\/lexicon\/es\.yaml:7:\d+ error: .*does not compile/);
    expect(shown).toMatch(/data\/lexicon\/ht\.yaml:3:\d+ error: "kob" is listed under both PAY and BOSS/);
  });

  it('warns where two words that read alike sit under two concepts, at the one that takes both', () => {
    const lex = join(dir, 'stems', 'data', 'lexicon');
    mkdirSync(lex, { recursive: true });
    writeFileSync(join(lex, 'es.yaml'), 'concepts:\n  PAY: [pago, pagos]\n');
    writeFileSync(
      join(lex, 'en.yaml'),
      'concepts:\n  EVIDENCE: [proof, record]\n  VOICE: [audio, recording, voice recording]\n',
    );
    writeFileSync(join(lex, 'ht.yaml'), 'concepts:\n  PAY: [peye]\nout_of_scope:\n  FLIGHT: [peyi]\n');
    const shown = loadLexiconDir(lex, dir).problems.map(formatProblem);
    expect(shown).toHaveLength(1);
    expect(shown[0]).toMatch(
      /data\/lexicon\/en\.yaml:3:\d+ warning: "recording" and "record" read alike \("record"\): search takes both as VOICE, never as EVIDENCE/,
    );
  });

  it('reads Creole as typed: accentless, SMS and French-influenced spellings meet the standard spelling', () => {
    const lex = defaultLexicon();
    const ipn = lex.indexTokens('Patwon an pa peye m kòb mwen, kounye a fòk mwen travay', 'ht');
    expect(lex.indexTokens('patron an pa peye m kob mwen, kounya fok m travail', 'ht')).toEqual(ipn);
    expect(lex.tokens('pske m pa gen papier', 'ht')).toEqual(lex.tokens('paske mwen pa gen papye', 'ht'));
    expect(lex.tokens('msye di l ap peye w', 'ht')).toEqual(lex.tokens('misye di li ap peye ou', 'ht'));
  });

  it('reads a word typed with or without its apostrophe alike, and keeps the "not" of a negation', () => {
    const lex = defaultLexicon();
    expect(lex.tokens("they don't pay me", 'en')).toEqual(lex.tokens('they dont pay me', 'en'));
    expect(lex.tokens("m'ap travay", 'ht')).toEqual(lex.tokens('map travay', 'ht'));
    expect(lex.tokens('dem nuh pay mi', 'en')).toContain('not');
    expect(lex.indexTokens("boss don't pay me", 'en')).toContain('@UNPAID');
    expect(lex.indexTokens('my work is not safe', 'en')).toContain('@UNSAFE');
    // Caribbean Spanish drops the d of -ado.
    expect(lex.tokens('no me an pagao', 'es')).toEqual(lex.tokens('no me han pagado', 'es'));
    // "I'd" is not an ID card.
    expect(lex.indexTokens("I'd like to know", 'en')).not.toContain('@DOCS');
  });

  it('maps spellings, slang and synonyms of every language to shared concepts', () => {
    const lex = defaultLexicon();
    const pay = (text: string, lang: 'es' | 'en' | 'ht') => lex.indexTokens(text, lang).includes('@PAY');
    for (const w of ['pisto', 'lana', 'cuartos', 'salario', 'sueldo']) expect(pay(w, 'es'), w).toBe(true);
    for (const w of ['wages', 'salary', 'pay']) expect(pay(w, 'en'), w).toBe(true);
    for (const w of ['kòb', 'lajan', 'salè']) expect(pay(w, 'ht'), w).toBe(true);
    for (const [w, l] of [
      ['patrón', 'es'],
      ['jefe', 'es'],
      ['manager', 'es'],
      ['boss', 'en'],
      ['bòs', 'ht'],
      ['patron', 'ht'],
    ] as const)
      expect(lex.indexTokens(w, l), w).toContain('@EMPLOYER');
  });

  it('reads held-down letters, texting k, plurals of regional words and stop verbs with a pronoun', () => {
    const lex = defaultLexicon();
    expect(lex.tokens('no me pagannn, ayudaaa', 'es')).toEqual(lex.tokens('no me pagan, ayuda', 'es'));
    expect(lex.tokens('pleaseee helppp', 'en')).toEqual(lex.tokens('please help', 'en'));
    expect(lex.tokens('patwon an pa peyeee m', 'ht')).toEqual(lex.tokens('patwon an pa peye m', 'ht'));
    expect(lex.tokens('kiere kejarme aki', 'es')).toEqual(lex.tokens('quiere quejarme aqui', 'es'));
    expect(lex.tokens('kinder', 'es')).toEqual(lex.tokens('escuela', 'es'));
    expect(lex.indexTokens('las cedulas', 'es')).toEqual(lex.indexTokens('la cedula', 'es'));
    expect(lex.indexTokens('los jefes', 'es')).toContain('@EMPLOYER');
    expect(lex.analyse('hacerme decirle', 'es').tokens).toEqual([]);
    // "trato" is a deal, not "trata" (trafficking), though both stem alike.
    expect(lex.indexTokens('un trato de palabra', 'es')).not.toContain('@TRAFFICKING');
  });

  it('keeps a concept phrase whole where a question cue starts or ends inside it', () => {
    const lex = defaultLexicon();
    const forms = (q: string, l: 'es' | 'en' | 'ht') => lex.analyse(q, l).tokens.map((t) => t.form);
    // "me tienen que pagar" is a cue; "cuanto me tienen que pagar" is the minimum wage.
    expect(forms('cuanto me tienen que pagar', 'es')).toContain('@MINIMUM');
    // "how do i" is a cue; "how do i report" asks how to complain, and "report my" is no "report me".
    expect(forms('how do i report my employer', 'en')).toContain('@COMPLAINT_HOW');
    expect(forms('how do i report my employer', 'en')).not.toContain('@IMMIGRATION');
    // "kijan pou m fe" is a cue; "fe papye" is getting papers.
    expect(forms('kijan pou m fe papye m', 'ht')).toContain('@REGULARISE');
  });

  it('takes one word beside a question cue as the question of a long message', () => {
    const lex = defaultLexicon();
    const a = lex.analyse(
      'mi vecino me dijo que en la empresa donde trabaja pagan bien pero antes hay que darle 300 dolares al senor. eso es normal o es estafa?',
      'es',
    );
    const weight = (form: string) => a.tokens.find((t) => t.form === form)?.weight;
    expect(weight('@SCAM')).toBe(1);
    expect(weight('@EMPLOYER')).toBeLessThan(1);
  });

  it('weighs the question part of a long message more than the story, and keeps the story', () => {
    const lex = defaultLexicon();
    const a = lex.analyse(
      'trabajo en una finca de cafe desde hace dos anos con mi familia. el patron no me paga, que hago?',
      'es',
    );
    const weight = (form: string) => a.tokens.find((t) => t.form === form)?.weight;
    // "no me paga" is the question's concept; the word "paga" inside it keeps its own concept at half weight.
    expect(weight('@UNPAID')).toBe(1);
    expect(weight('@PAY')).toBeGreaterThan(0);
    expect(weight('fint') ?? weight('finc')).toBeLessThan(1);
  });

  it('reads a word of another language as that language does, and marks out-of-scope cues', () => {
    const lex = new Lexicon(loadLexiconDir(join(ROOT, 'data', 'lexicon'), ROOT).files);
    const forms = lex
      .analyse('el manager no me paga my wages', 'es')
      .tokens.flatMap((t) => [t.form, ...t.alternatives]);
    expect(forms).toContain('@EMPLOYER');
    expect(forms).toContain('@PAY');
    expect(lex.analyse('cuanto cuesta la visa americana', 'es').outside).toEqual(['@OUT_VISA']);
  });
});

describe('search with the lexicon', () => {
  const h = new Harness();
  afterAll(() => h.close());
  const search = (q: string, lang: 'es' | 'en' | 'ht') => h.app.bot.current.searcher.search(q, lang);
  /** Each message is answered, with its entry first. */
  const answers = (cases: ReadonlyArray<readonly [string, 'es' | 'en' | 'ht', string]>) => {
    for (const [q, l, id] of cases) {
      const r = search(q, l);
      expect([r.answered, r.results[0]?.id], q).toEqual([true, id]);
    }
  };

  it('answers code-switched messages in the user language', () => {
    const r = search('el boss no me ha dado mi paycheck', 'es');
    expect(r).toMatchObject({ answered: true, lang: 'es' });
    expect(r.results[0]).toMatchObject({ id: 'labor.unpaid-wages', title: 'Salario no pagado' });
    expect(search('bos la pa peye m salary mwen', 'ht').results[0]?.id).toBe('labor.unpaid-wages');
  });

  it('reaches a concept through a misspelling of its word, not through a longer word that starts with it', () => {
    answers([
      ['el ptron no me paga', 'es', 'labor.unpaid-wages'],
      ['el patrn no me quiere pagar', 'es', 'labor.unpaid-wages'],
      ['patwn an pa peye m', 'ht', 'labor.unpaid-wages'],
    ]);
    // "danjere" (dangerous) starts with "danje" (danger): a question about a vaccine is not an emergency.
    const vaccine = search('eske vaksen an danjere', 'ht');
    expect(vaccine.answered && vaccine.results[0]?.id === 'help.emergency').toBe(false);
  });

  it('reaches a concept through one slip in a short word: a letter dropped, added or changed, two swapped', () => {
    answers([
      ['lkeol san papye', 'ht', 'children.education'],
      ['rsais nan travay', 'ht', 'labor.discrimination-harassment'],
      ['vacnua sin papeles', 'es', 'covid.vaccine'],
      // The message's own language first: in Creole "plnt" is plent (a complaint), not an English "plant".
      ['fe plnt', 'ht', 'labor.complaint-how'],
    ]);
    // Two letters swapped in a word of four: ranked first, though too unsure to answer alone.
    expect(search('pmei travay', 'ht').results[0]?.id).toBe('labor.work-permit');
    // So is a letter added to a word of four: five letters that are no word are most often that word.
    expect(search('mazsk nan travay', 'ht').results[0]?.id).toBe('covid.workplace');
    expect(search('yo pa peyue m', 'ht').results[0]?.id).toBe('labor.unpaid-wages');
    // A first letter is rarely the slip: "dodge" is not "lodge", and the question stays about pay.
    expect(search('boss owe mi three week pay an a dodge mi', 'en').results[0]?.id).toBe(
      'labor.unpaid-wages',
    );
  });

  it('drops a stop word typed with a letter missing or added, as it drops the stop word', () => {
    answers([
      ['coo hago pa legalizarme', 'es', 'status.regularization'],
      ['el boss no me ha dado mi paycheck desde hae un mes', 'es', 'labor.unpaid-wages'],
      ['cada cuato me lavo las manos pa el virus', 'es', 'covid.prevention'],
    ]);
    // A letter typed for another is not looked for: "marca" is not "marzo", and stays a word no entry explains.
    expect(search('q marca de cemento es mejor', 'es').answered).toBe(false);
  });

  it('refuses a near-domain question whose cue is typed with a letter dropped, added or two swapped', () => {
    for (const [q, l] of [
      ['cuanto cobra western uinon pa mandar 100 dolares', 'es'],
      ['ban m whataspp avoka ki ede gratis la', 'ht'],
      ['konbyen kob ggawa a pou ale nan fwontye a', 'ht'],
      ['where to hcange dollars', 'en'],
    ] as const)
      expect(search(q, l).answered, q).toBe(false);
    // A cue of one word is never guessed: "remet" (give back) is not "reset", and the question is answered.
    answers([['msye pa vle remet mwen pasaporte m', 'ht', 'labor.documents-retained']]);
  });

  it('refuses near-domain questions but still suggests topics for the unsure middle', () => {
    for (const [q, l] of [
      ['how much is a us visa', 'en'],
      ['a cuanto esta el dolar hoy', 'es'],
      ['konbyen western union pran pou voye 100 dola', 'ht'],
      ['dame el celular del abogado', 'es'],
    ] as const)
      expect(search(q, l).answered, q).toBe(false);
  });
});
