import type { Lang } from '../text/lang.js';
import { fold } from '../text/normalize.js';

/**
 * Spelling that people type on a phone, mapped to the word it stands for. Applied to
 * folded tokens (no accents, lower case), both to queries and to the indexed text.
 */
const VARIANTS: Record<Lang, Record<string, string>> = {
  es: {
    q: 'que',
    k: 'que',
    ke: 'que',
    xq: 'porque',
    pq: 'porque',
    porq: 'porque',
    xk: 'porque',
    tmb: 'tambien',
    tb: 'tambien',
    x: 'por',
    d: 'de',
    pa: 'para',
    toy: 'estoy',
    ta: 'esta',
    ps: 'pues',
    nd: 'nada',
    mñn: 'manana',
    hrs: 'horas',
    hr: 'hora',
    dr: 'doctor',
    info: 'informacion',
    uno: '1',
    dos: '2',
    tres: '3',
    diecinueve: '19',
    covid19: 'covid',
    coronavirus: 'covid',
    corona: 'covid',
    papel: 'papeles',
    doc: 'documentos',
    docs: 'documentos',
  },
  en: {
    u: 'you',
    r: 'are',
    ur: 'your',
    pls: 'please',
    plz: 'please',
    im: 'i',
    dont: 'do',
    cant: 'can',
    wont: 'will',
    doesnt: 'does',
    didnt: 'did',
    hrs: 'hours',
    hr: 'hour',
    w: 'with',
    b4: 'before',
    bc: 'because',
    cuz: 'because',
    coz: 'because',
    info: 'information',
    nineteen: '19',
    covid19: 'covid',
    coronavirus: 'covid',
    corona: 'covid',
    doc: 'documents',
    docs: 'documents',
    id: 'id',
  },
  ht: {
    m: 'mwen',
    mw: 'mwen',
    w: 'ou',
    l: 'li',
    n: 'nou',
    y: 'yo',
    k: 'ki',
    kk: 'kisa',
    kisa: 'kisa',
    kijan: 'kijan',
    pou: 'pou',
    pwoblem: 'pwoblem',
    covid19: 'covid',
    kowona: 'covid',
    kowonaviris: 'covid',
    koronaviris: 'covid',
    sak: 'sa',
    dokiman: 'dokiman',
    papie: 'papye',
    lopital: 'lopital',
    opital: 'lopital',
    ekol: 'lekol',
  },
};

/**
 * Regional words for the same thing, mapped to one word, so that "pisto", "lana" and
 * "plata" all find the entries that speak of money. Applied to queries and entries alike.
 */
const SYNONYMS: Record<Lang, Record<string, string[]>> = {
  es: {
    // Not "pega" (a job in Chile): across this region "me pega" means "he hits me".
    trabajo: ['chamba', 'chambita', 'jale', 'camello', 'laburo', 'chambear', 'trabajito', 'empleo'],
    patron: [
      'jefe',
      'jefa',
      'patrona',
      'boss',
      'encargado',
      'encargada',
      'capataz',
      'mayordomo',
      'inge',
      'ingeniero',
      'contratista',
      'empleador',
      'empleadora',
    ],
    dinero: [
      'lana',
      'pisto',
      'feria',
      'plata',
      'billete',
      'cuartos',
      'varo',
      'varos',
      'biyuyo',
      'lucas',
      'money',
    ],
    despido: [
      'botaron',
      'boto',
      'botar',
      'corrieron',
      'corrio',
      'echaron',
      'hecharon',
      'despidieron',
      'despidio',
      'despedido',
      'despedida',
      'layoff',
    ],
    nino: [
      'nina',
      'ninos',
      'ninas',
      'nene',
      'nena',
      'chamaco',
      'chamaca',
      'escuincle',
      'cipote',
      'cipota',
      'patojo',
      'patoja',
      'morro',
      'morra',
      'chiquillo',
      'chiquilla',
      'criatura',
    ],
    documentos: ['documento', 'papeles', 'cedula', 'dpi', 'identificacion'],
    escuela: ['colegio', 'cole', 'kinder', 'primaria', 'secundaria', 'prepa', 'liceo'],
    doctor: ['medico', 'medica', 'doctora', 'clinica'],
    mascarilla: ['mascarillas', 'cubrebocas', 'tapabocas', 'barbijo', 'mascara'],
    reconocer: ['reconozco', 'identificar', 'detectar', 'distinguir', 'notar'],
    estafa: ['fraude', 'estafador', 'timo', 'enganan', 'engano', 'trampa', 'falso', 'chanchullo'],
  },
  en: {
    boss: ['employer', 'manager', 'foreman', 'contractor', 'bosses', 'supervisor'],
    job: ['gig', 'jobs', 'employment'],
    money: ['cash', 'bucks', 'dollars'],
    fired: ['sacked', 'layoff', 'laid', 'dismissed', 'terminated', 'fire'],
    child: ['kid', 'kids', 'children', 'son', 'daughter', 'baby', 'childs'],
    documents: ['document', 'papers', 'id', 'paperwork'],
    mask: ['masks', 'facemask', 'facemasks'],
    doctor: ['clinic', 'doc'],
    recognize: ['spot', 'recognise', 'identify', 'detect', 'notice'],
    scam: ['fraud', 'fake', 'ripoff', 'con', 'legit', 'scammer', 'scammed'],
  },
  ht: {
    patwon: ['chef', 'bos', 'ingeniero', 'enjenye', 'anplwaye', 'kontremet', 'met', 'patron', 'patwonn'],
    lajan: ['kob', 'kòb', 'cob', 'dola', 'peso', 'pesos'],
    travay: ['djob', 'job', 'travay', 'chiripa'],
    timoun: ['pitit', 'tipitit', 'titit', 'ti moun'],
    papye: ['dokiman', 'cedula', 'sedil', 'papeles', 'documento'],
    lekol: ['ekol', 'lekòl', 'escuela', 'kolej'],
    revoke: ['voye', 'mete deyo', 'chase', 'kase'],
  },
};
const CANONICAL: Record<Lang, Map<string, string>> = {
  es: canonical(SYNONYMS.es),
  en: canonical(SYNONYMS.en),
  ht: canonical(SYNONYMS.ht),
};

function canonical(table: Record<string, string[]>): Map<string, string> {
  const map = new Map<string, string>();
  for (const [word, variants] of Object.entries(table)) for (const v of variants) map.set(fold(v), word);
  return map;
}

/** Words too common to tell one topic from another. */
const STOP: Record<Lang, Set<string>> = {
  es: new Set(
    'a ahi ahora al algo alguien alla ante aqui asi aun ayuda ayudame bien buenas como con cosa cosas cual cuando cuanta cuanto cuantos dan dar de debe deberia debo decir del desde dice dicen dieron dime dio donde e el ella ellos en entonces entre era eres es esa esas ese eso esta estan estar este esto estos estoy favor fue gracias ha hace hacen hacer hago hay hola ir k la las le les lo los mal mas me mi mis misma mismo mucha mucho muy nada nadie necesita necesito ni nomas nos nunca o oiga otra otro oye para pasa paso pero poco podria por porque pq puede pueden puedo pues q que quien quiere quieres quiero sabe saber se sea ser si sido siempre sola solo son soy su sus tambien tampoco te tener tengo ti tiene tienen tienes toda todas todavia todo todos tu tus un una uno unos va van ver vez voy xq y ya yo'.split(
      ' ',
    ),
  ),
  en: new Set(
    'a about actually aint all also am an and any anybody anything are arent as at back be been but by came can cant come could couldnt did didnt do does doesnt doing done dont down even for from gave get gets getting give gives go going gonna got gotta hadnt happen happened happens has hasnt have havent he hello help her here hers hi him his how hows i if ill im in is isnt it its ive just know knows let lets like lot lots made make many may me might much must my need needs no not now of ok okay on only or our out over own please pls r really said same say says shall she should shouldnt so some somebody someone something still take tell than that thats the their them then there they theyre thing things this to told too took u up ur us very vs wanna want wants was wasnt way we werent what whats when where wheres which who why will with wont would wouldnt yeah yes you your youre'.split(
      ' ',
    ),
  ),
  ht: new Set(
    'a ak al ale alo an anko ankò anpil ap bagay ban bay bon bonjou deja di e ede epi eske fe fè gen genyen gwo janm ka kapab ke ki kijan kile kilè kisa konbyen konn konnen kote kouman kounye l la lan li lot lòt m mande men menm moun mwen n nan ni nou o okenn oswa ou pa pat poko pou poukisa pral sa se selman si sou sèlman tanpri te ti tou toujou tout two twò vin vini vle vre w y ye yo yon youn èske'.split(
      ' ',
    ),
  ),
};

/** Tokens of a text, normalised for one language's index. */
export function tokens(text: string, lang: Lang): string[] {
  return split(text, lang).map((t) => stem(t, lang));
}

/** Tokens that carry meaning: stop words removed before stemming, so "hago" goes and "hag" never appears. */
export function contentTokens(text: string, lang: Lang): string[] {
  const stop = STOP[lang];
  return split(text, lang)
    .filter((t) => t.length > 1 && !stop.has(t))
    .map((t) => stem(t, lang));
}

function split(text: string, lang: Lang): string[] {
  const variants = VARIANTS[lang];
  const canonical = CANONICAL[lang];
  const out: string[] = [];
  for (const raw of fold(text).split(' ')) {
    if (!raw) continue;
    for (const t of raw.replace(/^(covid)(\d+)$/, '$1 $2').split(' ')) {
      const v = variants[t] ?? t;
      out.push(canonical.get(v) ?? v);
    }
  }
  return out;
}

/** A light stemmer: plural and common verb endings, so "pagan", "pagaron" and "pago" meet. */
export function stem(token: string, lang: Lang): string {
  if (token.length <= 3 || /\d/.test(token)) return token;
  let out = token;
  if (lang === 'es')
    out = token.replace(
      /(aron|ieron|amos|aban|ando|iendo|ados|idos|adas|idas|ado|ido|ada|ida|ar|er|ir|an|en|as|es|os|a|o|e|s)$/,
      '',
    );
  else if (lang === 'en') out = token.replace(/(ing|ies|ied|ed|es|s)$/, '');
  return out.length >= 3 ? out : token;
}
