import type { Config } from '../config/env.js';
import { ContentError, hasErrors, type Problem } from '../content/problems.js';
import type { YamlSource } from '../content/yaml.js';
import type { EngineContext, FaqSource, FaqView, Translate } from '../engine/context.js';
import { loadContacts, loadFaqDir } from '../faq/loader.js';
import type { ContactsFile, FaqEntry } from '../faq/schema.js';
import { FaqSearcher } from '../faq/search.js';
import { importFaq, readFaq } from '../faq/store.js';
import { loadFlows } from '../flows/loader.js';
import type { Flow } from '../flows/schema.js';
import { commandMatcher } from '../i18n/commands.js';
import { languageDetector } from '../i18n/detect.js';
import { createI18n } from '../i18n/i18n.js';
import { type Locales, loadLocales } from '../i18n/locales.js';
import type { Db } from '../store/db.js';
import { LANGS, type Lang } from '../text/lang.js';
import { fold } from '../text/normalize.js';

export type ContentPaths = Config['paths'];

/** Everything staff edit, read and checked together. */
export type ContentFiles = {
  flows: Map<string, Flow>;
  /** Where each flow's values are in its file, for problems found after loading. */
  flowSources: Map<string, YamlSource>;
  faq: Map<string, FaqEntry>;
  contacts: ContactsFile;
  locales: Locales;
  problems: Problem[];
};

/** A validated, ready-to-serve version of the content. */
export type Content = ContentFiles & {
  searcher: FaqSearcher;
  ctx: EngineContext;
  detect: (text: string) => Lang | null;
};

/** Reads and checks flows/, locales/, data/faq/ and data/contacts.yaml; never throws for bad content. */
export function readContentFiles(paths: ContentPaths): ContentFiles {
  const faq = loadFaqDir(paths.faq, paths.root);
  const locales = loadLocales(paths.locales, paths.root);
  const contacts = loadContacts(paths.contacts, paths.root);
  const flows = loadFlows(paths.flows, { faqIds: new Set(faq.entries.keys()), root: paths.root });
  return {
    flows: flows.flows,
    flowSources: flows.sources,
    faq: faq.entries,
    contacts: contacts.contacts,
    locales: locales.locales,
    problems: [...flows.problems, ...locales.problems, ...faq.problems, ...contacts.problems],
  };
}

/**
 * Loads the content, imports the FAQ into SQLite, and builds the engine's context from what
 * SQLite holds. Throws ContentError when anything is wrong, so the caller keeps the last good version.
 */
export function loadContent(paths: ContentPaths, db: Db, defaultLang: Lang): Content {
  const files = readContentFiles(paths);
  if (hasErrors(files.problems)) throw new ContentError(files.problems);
  importFaq(db, files.faq.values());
  return buildContent({ ...files, faq: readFaq(db) }, defaultLang);
}

export function buildContent(files: ContentFiles, defaultLang: Lang): Content {
  const { t } = createI18n(files.locales, files.flows.values());
  const detect = languageDetector(detectionSamples(files));
  const searcher = new FaqSearcher(files.faq.values(), detect);
  const ctx: EngineContext = {
    flows: files.flows,
    t,
    faq: faqSource(files.faq, searcher),
    command: commandMatcher(files.locales),
    detectLang: detect,
    contacts: contactsRenderer(files.contacts, t),
    defaultLang,
  };
  return { ...files, searcher, ctx, detect };
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
      };
    },
  };
}

function contactsRenderer(file: ContactsFile, t: Translate): EngineContext['contacts'] {
  // A typed country name ("mexico", "Rep. Dominicana") finds its entry as the code does.
  const byName = new Map<string, string>();
  for (const [code, c] of Object.entries(file.countries)) {
    for (const name of [code, ...Object.values(c.name), ...c.aliases]) byName.set(fold(name), code);
  }
  return (country, lang) => {
    const code = byName.get(fold(country));
    const c = code ? file.countries[code] : undefined;
    if (!c) return null;
    const line = (key: string, value: string) => t(lang, 'common', `contacts.${key}`, { value });
    return [
      t(lang, 'common', 'contacts.header', { country: c.name[lang] }),
      c.emergency ? line('emergency', c.emergency.number) : t(lang, 'common', 'contacts.noEmergency'),
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
  }
  return out;
}
