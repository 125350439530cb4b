import { join, relative } from 'node:path';
import type { Logger } from 'pino';
import { audioProblems } from '../audio/check.js';
import { loadTemplates, type TemplatesFile } from '../channels/whatsapp-cloud/templates.js';
import type { Config } from '../config/env.js';
import { countryLookup } from '../contacts/country.js';
import { ContentError, hasErrors, type Problem } from '../content/problems.js';
import {
  type ContentTree,
  contentVersion,
  encodingProblems,
  isAudioPath,
  readContentTree,
} from '../content/tree.js';
import type { YamlSource } from '../content/yaml.js';
import type { EngineContext, FaqSource, FaqView, HandoffSettings, Translate } from '../engine/context.js';
import { type LexiconFile, loadLexiconDir } from '../faq/lexicon.js';
import { loadContacts, loadFaqDir } from '../faq/loader.js';
import { Lexicon } from '../faq/normalize.js';
import { type ContactsFile, FAQ_ORG_PLACEHOLDER, type FaqEntry } from '../faq/schema.js';
import { FaqSearcher } from '../faq/search.js';
import { loadFlows } from '../flows/loader.js';
import type { Flow } from '../flows/schema.js';
import { handoffSettings } from '../handoff/settings.js';
import { commandMatcher } from '../i18n/commands.js';
import { languageDetector } from '../i18n/detect.js';
import { createI18n } from '../i18n/i18n.js';
import { commonText } from '../i18n/keys.js';
import { type LocaleReviews, type Locales, loadLocales } from '../i18n/locales.js';
import { emergencyLiner, formatNumbers } from '../safety/emergency-line.js';
import { caughtCommands, loadSafety } from '../safety/loader.js';
import type { SafetyFile } from '../safety/schema.js';
import { readPhrases, Triage } from '../safety/triage.js';
import { loadSmallTalk, shadowedSmallTalk } from '../smalltalk/loader.js';
import { SmallTalkMatcher } from '../smalltalk/matcher.js';
import { LISTED_KINDS, type SmallTalkFile } from '../smalltalk/schema.js';
import type { Store } from '../store/contract.js';
import { loadTopics, type TopicsFile, topicList, topicOfFaq } from '../subscriptions/topics.js';
import { LANGS, type Lang } from '../text/lang.js';

export type ContentPaths = Config['paths'];

/** Who runs the bot, from ORG_NAME, ORG_CONTACT and ORG_HOURS: "talk to a person" points there. */
export type OrgContact = { name: string; contact: string; hours?: string };

/** What the content is built with besides its files. */
export type ContentSettings = { defaultLang: Lang; org: OrgContact | null; handoff?: HandoffSettings | null };

export function contentSettings(config: Config): ContentSettings {
  const org =
    config.ORG_NAME && config.ORG_CONTACT
      ? { name: config.ORG_NAME, contact: config.ORG_CONTACT, hours: config.ORG_HOURS }
      : null;
  return { defaultLang: config.DEFAULT_LANG, org, handoff: handoffSettings(config) };
}

/** Everything staff edit, read and checked together. */
export type ContentFiles = {
  /** The bytes of every content file, as read for this version. */
  tree: ContentTree;
  version: string;
  flows: Map<string, Flow>;
  /** Where each flow's values are in its file, for problems found after loading. */
  flowSources: Map<string, YamlSource>;
  faq: Map<string, FaqEntry>;
  /** Where each FAQ entry's values are in its file. */
  faqSources: Map<string, YamlSource>;
  contacts: ContactsFile;
  /** Where the contacts' values are in data/contacts.yaml, when it loaded. */
  contactsSource?: YamlSource;
  /** WhatsApp message templates, for the Cloud API outside the 24-hour window. */
  templates: TemplatesFile;
  /** Topics people can subscribe to (data/topics.yaml). */
  topics: TopicsFile;
  locales: Locales;
  localeReviews: LocaleReviews;
  /** Danger phrases (data/safety.yaml). */
  safety: SafetyFile;
  smallTalk: SmallTalkFile;
  /** Spellings, regional words and concepts per language (data/lexicon/). */
  lexicon: Record<Lang, LexiconFile>;
  problems: Problem[];
};

/** A validated, ready-to-serve version of the content. */
export type Content = ContentFiles & {
  searcher: FaqSearcher;
  triage: Triage;
  ctx: EngineContext;
  detect: (text: string) => Lang | null;
  settings: ContentSettings;
  /** "files" when read from disk; "last-good" when the files were broken and the database's copy serves. */
  origin: 'files' | 'last-good';
};

/** Reads and checks flows/, locales/ and data/ together; never throws for bad content. */
export function readContentFiles(paths: ContentPaths): ContentFiles {
  const tree = readContentTree(paths.root);
  const faq = loadFaqDir(paths.faq, paths.root);
  const locales = loadLocales(paths.locales, paths.root);
  const contacts = loadContacts(paths.contacts, paths.root);
  const safety = loadSafety(paths.safety, paths.root);
  const smallTalk = loadSmallTalk(paths.smalltalk, paths.root);
  const templates = loadTemplates(paths.templates, paths.root);
  const lexicon = loadLexiconDir(paths.lexicon, paths.root);
  const words = new Lexicon(lexicon.files);
  const topics = loadTopics(paths.topics, paths.root, new Set(faq.entries.keys()));
  const flows = loadFlows(paths.flows, {
    faqIds: new Set(faq.entries.keys()),
    brokenFaqIds: faq.broken,
    root: paths.root,
  });
  const triage = new Triage(readPhrases(safety.safety, words), words);
  const audio = audioProblems(
    { faq: faq.entries, faqSources: faq.sources, flows: flows.flows, flowSources: flows.sources },
    join(paths.root, 'data'),
  );
  const shadowed = [
    ...shadowedSmallTalk(smallTalk, commandMatcher(locales.locales), (text) => triage.match(text, null)),
    ...caughtCommands(locales.locales, triage, (lang) =>
      relative(paths.root, join(paths.locales, lang, 'common.json')),
    ),
  ];
  return {
    tree,
    version: contentVersion(tree),
    flows: flows.flows,
    flowSources: flows.sources,
    faq: faq.entries,
    faqSources: faq.sources,
    contacts: contacts.contacts,
    contactsSource: contacts.source,
    templates: templates.templates,
    topics: topics.topics,
    locales: locales.locales,
    localeReviews: locales.reviews,
    safety: safety.safety,
    smallTalk: smallTalk.smallTalk,
    lexicon: lexicon.files,
    problems: [
      ...encodingProblems(tree),
      ...flows.problems,
      ...locales.problems,
      ...faq.problems,
      ...contacts.problems,
      ...safety.problems,
      ...smallTalk.problems,
      ...shadowed,
      ...templates.problems,
      ...lexicon.problems,
      ...topics.problems,
      ...audio,
    ],
  };
}

/** Where a loaded version is kept: the FAQ rows staff tools read, and the last good version. */
export type ContentKeeper = Pick<Store, 'importFaq' | 'saveContent'>;

/**
 * Loads the content, builds the engine's context, and has the store keep the FAQ and the
 * version as the last good one. Throws ContentError when anything is wrong, so the caller
 * keeps the version it has. Keeping never holds up a start or a reload: a failure is logged.
 */
export function loadContent(
  paths: ContentPaths,
  keeper: ContentKeeper,
  settings: ContentSettings,
  origin: Content['origin'] = 'files',
  log?: Pick<Logger, 'error'>,
): Content {
  const read = readContentFiles(paths);
  // The last good copy keeps text only: its recordings are the ones in data/audio/ now, and a voice
  // note that cannot be sent never holds back the text.
  const files =
    origin === 'last-good'
      ? { ...read, problems: read.problems.filter((p) => !p.code.startsWith('audio.')) }
      : read;
  if (hasErrors(files.problems)) throw new ContentError(files.problems);
  // In id order, as the engine has always seen them: ties in search fall the same way.
  const faq = new Map([...files.faq].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const content = buildContent({ ...files, faq }, settings, origin);
  // Keep exactly what was checked: a file saved while we read is left to the next reload.
  const snapshot = origin === 'files' && contentVersion(readContentTree(paths.root)) === files.version;
  // Both start now: on SQLite they are done when this returns, as tools and tests expect.
  const kept = Promise.all([
    keeper.importFaq(files.faq.values()),
    snapshot ? keeper.saveContent(files.version, treeText(files.tree)) : false,
  ]);
  kept.catch((e: unknown) =>
    log?.error(
      { code: 'content.keep_failed', err: e instanceof Error ? e.message : String(e) },
      'the content loaded, but the store could not keep it as the last good version',
    ),
  );
  return content;
}

export function treeText(tree: ContentTree): Record<string, string> {
  return Object.fromEntries(
    [...tree].filter(([path]) => !isAudioPath(path)).map(([path, bytes]) => [path, bytes.toString('utf8')]),
  );
}

export function buildContent(
  files: ContentFiles,
  settings: ContentSettings,
  origin: Content['origin'] = 'files',
): Content {
  const { t } = createI18n(files.locales, files.flows.values());
  const faq = withOrgContact(files.faq, settings.org, t);
  const detect = languageDetector(detectionSamples(files));
  const lexicon = new Lexicon(files.lexicon);
  const searcher = new FaqSearcher(faq.values(), detect, lexicon);
  const triage = new Triage(readPhrases(files.safety, lexicon), lexicon);
  const smallTalk = new SmallTalkMatcher(files.smallTalk);
  const emergencyLine = emergencyLiner(files.contacts, t);
  const topics = topicList(files.topics);
  const ctx: EngineContext = {
    flows: files.flows,
    t,
    faq: faqSource(faq, searcher),
    command: commandMatcher(files.locales),
    detectLang: detect,
    contacts: contactsRenderer(files.contacts, t),
    triage: (text, prefer) => triage.match(text, prefer),
    smallTalk: (text) => smallTalk.match(text),
    emergencyLine,
    topics,
    topicOfFaq: (id) => topicOfFaq(topics, id),
    defaultLang: settings.defaultLang,
    handoff: settings.handoff ?? null,
  };
  return { ...files, faq, searcher, triage, ctx, detect, settings, origin };
}

/**
 * Answers may hold {{org}}: how to reach a person of the organisation that runs the bot, or,
 * when none is configured, to ask whoever shared the bot. Never a contact we do not have.
 */
function withOrgContact(
  entries: Map<string, FaqEntry>,
  org: OrgContact | null,
  t: Translate,
): Map<string, FaqEntry> {
  const line = (lang: Lang): string => {
    if (!org) return commonText(t, lang, 'org.none');
    const contact = commonText(t, lang, 'org.contact', { name: org.name, contact: org.contact });
    return org.hours ? `${contact}\n${commonText(t, lang, 'org.hours', { hours: org.hours })}` : contact;
  };
  const out = new Map<string, FaqEntry>();
  for (const [id, entry] of entries) {
    if (!LANGS.some((l) => entry[l]?.answer.includes(FAQ_ORG_PLACEHOLDER))) {
      out.set(id, entry);
      continue;
    }
    const copy: FaqEntry = { ...entry };
    for (const lang of LANGS) {
      const text = entry[lang];
      if (text) copy[lang] = { ...text, answer: text.answer.replaceAll(FAQ_ORG_PLACEHOLDER, line(lang)) };
    }
    out.set(id, copy);
  }
  return out;
}

function faqSource(entries: Map<string, FaqEntry>, searcher: FaqSearcher): FaqSource {
  return {
    search: (query, lang) => searcher.search(query, lang),
    view: (id, lang): FaqView | null => {
      const entry = entries.get(id);
      if (!entry) return null;
      // A missing language falls back to Spanish first: it is the language of most of the region.
      const shown = [lang, 'es', 'en', 'ht'].find((l): l is Lang => Boolean(entry[l as Lang]))!;
      const text = entry[shown]!;
      return {
        id,
        lang: shown,
        title: text.title,
        answer: text.answer,
        related: entry.related,
        safety: entry.safety,
        audio: shown === lang ? (text.audio ?? null) : null,
      };
    },
  };
}

function contactsRenderer(file: ContactsFile, t: Translate): EngineContext['contacts'] {
  // A typed country name ("mexico", "Rep. Dominicana") finds its entry as the code does.
  const find = countryLookup(file);
  return (country, lang) => {
    const c = find(country)?.contacts;
    if (!c) return null;
    const line = (key: 'emergency' | 'labour' | 'migration' | 'children', value: string) =>
      commonText(t, lang, `contacts.${key}`, { value });
    return [
      commonText(t, lang, 'contacts.header', { country: c.name[lang] }),
      c.emergency.length
        ? line('emergency', formatNumbers(c.emergency, lang, t))
        : commonText(t, lang, 'contacts.noEmergency'),
      line('labour', c.labour),
      line('migration', c.migration),
      line('children', c.children),
    ].join('\n');
  };
}

function detectionSamples(files: ContentFiles): Record<Lang, string[]> {
  const out: Record<Lang, string[]> = { es: [], en: [], ht: [] };
  for (const entry of files.faq.values()) {
    for (const lang of LANGS) {
      const text = entry[lang];
      if (text) out[lang].push(text.title, text.question, ...text.phrasings, ...text.keywords);
    }
  }
  for (const lang of LANGS) {
    const commands = files.locales[lang].common?.commands;
    if (commands && typeof commands === 'object' && !Array.isArray(commands)) {
      for (const words of Object.values(commands)) if (Array.isArray(words)) out[lang].push(...words);
    }
    // "gracias" or "mesi" alone tells the language as well as a question does.
    for (const kind of LISTED_KINDS) out[lang].push(...files.smallTalk[kind][lang]);
  }
  return out;
}
