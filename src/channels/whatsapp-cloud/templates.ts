import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { z } from 'zod';
import type { Problem } from '../../content/problems.js';
import { YamlSource, zodProblems } from '../../content/yaml.js';
import { LANGS, type Lang } from '../../text/lang.js';

/**
 * Message templates approved by Meta (data/templates.yaml). Outside the 24 hours after a
 * person's last message, WhatsApp delivers nothing else, so broadcasts and late replies use them.
 * The file mirrors what was approved in WhatsApp Manager: the name, the language code each of
 * our languages was approved under, and the body's parameters in order.
 */

/** Meta's language codes: "es", "en_US", "pt_BR", "zh_HK". */
const LanguageCodeSchema = z
  .string()
  .regex(/^[a-z]{2,3}(_[A-Z]{2,4})?$/, 'a language code looks like "es", "en" or "en_US"');

/** Meta's template names: lower-case letters, digits and underscores. */
const TemplateNameSchema = z
  .string()
  .regex(
    /^[a-z0-9_]{1,512}$/,
    'a template name uses lower-case letters, digits and "_", as in WhatsApp Manager',
  );

const TemplateSchema = z.strictObject({
  name: TemplateNameSchema,
  /** Meta prices conversations by category; it is set when the template is submitted. */
  category: z.enum(['utility', 'marketing', 'authentication']).optional(),
  languages: z.strictObject({
    es: LanguageCodeSchema.optional(),
    en: LanguageCodeSchema.optional(),
    ht: LanguageCodeSchema.optional(),
  }),
  /** The body's {{1}}, {{2}}, ... in order, named for the code that fills them. */
  parameters: z.array(z.string().regex(/^[a-z][a-z0-9_]*$/, 'a parameter name is like "topic"')).default([]),
  /** The text submitted for approval, for staff to read; its placeholders are checked. */
  text: z
    .strictObject({
      es: z.string().min(1).optional(),
      en: z.string().min(1).optional(),
      ht: z.string().min(1).optional(),
    })
    .optional(),
});
export type Template = z.infer<typeof TemplateSchema>;

export const TemplatesFileSchema = z.strictObject({
  templates: z.record(
    z.string().regex(/^[a-z][a-z0-9_]*$/, 'a template id is like "reply_waiting"'),
    TemplateSchema,
  ),
});
export type TemplatesFile = z.infer<typeof TemplatesFileSchema>;

const HINT = 'see the comment at the top of data/templates.yaml';

/** Reads data/templates.yaml; a missing file means no templates (only the Cloud API needs them). */
export function loadTemplates(
  path: string,
  root = process.cwd(),
): { templates: TemplatesFile; problems: Problem[] } {
  const empty: TemplatesFile = { templates: {} };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { templates: empty, problems: [] };
  }
  const { source, problems } = YamlSource.parse(relative(root, path), text);
  if (problems.length) return { templates: empty, problems };
  const parsed = TemplatesFileSchema.safeParse(source.data() ?? { templates: {} });
  if (!parsed.success) return { templates: empty, problems: zodProblems(source, parsed.error, () => HINT) };
  return { templates: parsed.data, problems: templateProblems(source, parsed.data) };
}

/** What the schema cannot see: a language left out, and placeholders that do not match the parameters. */
function templateProblems(source: YamlSource, file: TemplatesFile): Problem[] {
  const problems: Problem[] = [];
  for (const [id, t] of Object.entries(file.templates)) {
    for (const lang of LANGS) {
      if (!t.languages[lang]) {
        problems.push(
          source.problem(
            ['templates', id, 'languages', lang],
            'template.language',
            `the template "${id}" has no ${lang} language code: those readers get it in ${fallbackOf(t, lang) ?? 'no language'}`,
            `add "${lang}: <code>" under languages once the ${lang} version is approved in WhatsApp Manager`,
            'warning',
          ),
        );
      }
      const text = t.text?.[lang];
      if (text === undefined) continue;
      const used = [...text.matchAll(/\{\{\s*(\d+)\s*\}\}/g)].map((m) => Number(m[1]));
      const want = t.parameters.map((_p, i) => i + 1);
      const same = new Set(used).size === want.length && want.every((n) => used.includes(n));
      if (!same) {
        problems.push(
          source.problem(
            ['templates', id, 'text', lang],
            'template.parameters',
            `the ${lang} text of "${id}" uses ${used.length ? used.map((n) => `{{${n}}}`).join(', ') : 'no placeholder'}, but parameters lists ${want.length}`,
            'number the placeholders {{1}}, {{2}}, ... once each, one per name under parameters',
          ),
        );
      }
    }
  }
  return problems;
}

/** The language a template is sent in for a reader of `lang`: theirs, else Spanish, English, Creole. */
export function fallbackOf(t: Template, lang: Lang): Lang | null {
  return [lang, ...LANGS].find((l) => t.languages[l]) ?? null;
}

export type TemplateMessage = {
  type: 'template';
  template: {
    name: string;
    language: { code: string };
    components?: Array<{ type: 'body'; parameters: Array<{ type: 'text'; text: string }> }>;
  };
};

export class TemplateError extends Error {
  override name = 'TemplateError';
}

/**
 * The template message for one reader. Parameter values lose line breaks, tabs and runs of
 * spaces, which Meta refuses inside parameters.
 */
export function buildTemplateMessage(
  file: TemplatesFile,
  id: string,
  lang: Lang,
  values: Record<string, string> = {},
): TemplateMessage {
  const t = file.templates[id];
  if (!t) throw new TemplateError(`there is no template "${id}" in data/templates.yaml`);
  const shown = fallbackOf(t, lang);
  if (!shown) throw new TemplateError(`the template "${id}" has no language code`);
  const parameters = t.parameters.map((name) => {
    const value = values[name];
    if (value === undefined || !value.trim())
      throw new TemplateError(`the template "${id}" needs a value for "${name}"`);
    return { type: 'text' as const, text: value.replace(/\s+/g, ' ').trim() };
  });
  const message: TemplateMessage = {
    type: 'template',
    template: { name: t.name, language: { code: t.languages[shown]! } },
  };
  if (parameters.length) message.template.components = [{ type: 'body', parameters }];
  return message;
}
