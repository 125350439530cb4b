import i18next, { type i18n } from 'i18next';
import type { Translate } from '../engine/context.js';
import { escapeMarkup } from '../engine/turn.js';
import type { Flow, Localized } from '../flows/schema.js';
import { LANGS } from '../text/lang.js';
import type { Locales } from './locales.js';

/**
 * One i18next instance per content version: locales/ files, plus every flow's inline
 * strings registered as namespace "flow.<id>" with keys like "menu.text" or "menu.options.wages".
 */
export function createI18n(locales: Locales, flows: Iterable<Flow>): { i18n: i18n; t: Translate } {
  const resources: Record<string, Record<string, object>> = {};
  for (const lang of LANGS) resources[lang] = { ...locales[lang] };
  for (const flow of flows) {
    for (const lang of LANGS) resources[lang]![`flow.${flow.id}`] = flowStrings(flow, lang);
  }
  const instance = i18next.createInstance();
  instance.init({
    resources,
    lng: 'es',
    fallbackLng: 'es',
    supportedLngs: [...LANGS],
    initAsync: false,
    returnNull: false,
    interpolation: { escapeValue: true, escape: escapeMarkup },
    showSupportNotice: false,
  } as Parameters<typeof instance.init>[0]);
  // Most strings have no variables: look them up once and keep them, by language, namespace
  // and key, so that a lookup never builds a new string.
  const fixed = new Map<string, Map<string, Map<string, string>>>();
  const t: Translate = (lng, ns, key, vars) => {
    const known = fixed.get(lng)?.get(ns)?.get(key);
    if (known !== undefined) return known;
    const keySeparator = ns.startsWith('flow.') ? false : '.';
    const out = instance.t(key, { lng, ns, ...vars, keySeparator });
    const raw: unknown = instance.getResource(lng, ns, key, { keySeparator });
    if (typeof raw === 'string' && !raw.includes('{{') && !raw.includes('$t(')) {
      const byNs = fixed.get(lng) ?? fixed.set(lng, new Map()).get(lng)!;
      const byKey = byNs.get(ns) ?? byNs.set(ns, new Map()).get(ns)!;
      byKey.set(key, out);
    }
    return out;
  };
  return { i18n: instance, t };
}

function flowStrings(flow: Flow, lang: (typeof LANGS)[number]): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (key: string, value: Localized | undefined) => {
    if (value) out[key] = value[lang];
  };
  for (const [id, step] of Object.entries(flow.steps)) {
    if ('text' in step) put(`${id}.text`, step.text);
    if (step.type === 'menu') for (const o of step.options) put(`${id}.options.${o.id}`, o.label);
  }
  return out;
}
