import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, contentPaths, loadConfig } from '../src/config/env.js';
import { checkContent } from '../src/content/check.js';
import { copyContent } from './support/content-dir.js';
import { Harness } from './support/harness.js';

/** Opens the about menu and asks for a person, in one language. */
async function talkToAPerson(h: Harness, lang: 'es' | 'en' | 'ht'): Promise<string> {
  await h.say(lang, 'menu', lang);
  await h.say(lang, '8', lang);
  const out = (await h.say(lang, '2', lang)).at(-1)!;
  expect(out.faq).toBe('help.human');
  return out.text;
}

describe('talking to a person: the organisation from the configuration', () => {
  it('gives the organisation’s name, contact and hours in every language', async () => {
    const h = new Harness({
      ORG_NAME: 'Red de Apoyo_Migrante',
      ORG_CONTACT: 'WhatsApp +502 5555 0000',
      ORG_HOURS: 'lunes a viernes, 9 a 17 h',
    });
    try {
      for (const lang of ['es', 'en', 'ht'] as const) {
        const text = await talkToAPerson(h, lang);
        expect(text, lang).toContain('Red de Apoyo_Migrante');
        expect(text, lang).toContain('WhatsApp +502 5555 0000');
        expect(text, lang).toContain('lunes a viernes, 9 a 17 h');
        expect(text, lang).not.toContain('{{');
        // Markup in a configured value is escaped, so "_" cannot start italics.
        expect(h.app.bot.current.ctx.faq.view('help.human', lang)?.answer).toContain(
          '*Red de Apoyo\\_Migrante*',
        );
      }
    } finally {
      h.close();
    }
  });

  it('invents no contact when none is configured: it says to ask whoever shared the bot, and how to get urgent help', async () => {
    const h = new Harness();
    try {
      const words = {
        es: [/organización o a la persona que te compartió/, /emergencias/],
        en: [/organisation or the person who shared/, /emergency/],
        ht: [/òganizasyon an oswa moun ki te pataje/, /ijans/],
      };
      for (const lang of ['es', 'en', 'ht'] as const) {
        const text = await talkToAPerson(h, lang);
        for (const w of words[lang]) expect(text, lang).toMatch(w);
        expect(text, lang).not.toContain('{{');
        expect(text, lang).not.toMatch(/\d{3,}|@|https?:/);
      }
    } finally {
      h.close();
    }
  });

  it('refuses a contact without a name, and hours without a contact, naming the variable', () => {
    expect(() => loadConfig({ ORG_CONTACT: '+502 5555 0000' }, false)).toThrow(ConfigError);
    expect(() => loadConfig({ ORG_CONTACT: '+502 5555 0000' }, false)).toThrow(/ORG_NAME/);
    expect(() => loadConfig({ ORG_NAME: 'Red', ORG_HOURS: '9 a 17 h' }, false)).toThrow(/ORG_CONTACT/);
    expect(loadConfig({ ORG_NAME: 'Red' }, false).ORG_NAME).toBe('Red');
  });
});

describe('country contacts', () => {
  const contacts = (country: string, lang: 'es' | 'en' | 'ht') => {
    const h = new Harness();
    try {
      return h.app.bot.current.ctx.contacts(country, lang) ?? '';
    } finally {
      h.close();
    }
  };

  it('lists each emergency number of a country with its service', () => {
    expect(contacts('GY', 'en')).toContain('Emergencies: 911 police, 912 fire, 913 ambulance');
    expect(contacts('Guatemala', 'es')).toContain('Emergencias: 110 policía');
    expect(contacts('panama', 'es')).toContain('Emergencias: 911, 104 policía');
  });

  it('says the migration authority is not an emergency or help service, in every language', () => {
    expect(contacts('MX', 'es')).toMatch(
      /Migración: Instituto Nacional de Migración \(INM\) \(.*no es un servicio de emergencia ni de ayuda\)/,
    );
    expect(contacts('MX', 'en')).toContain('not an emergency or help service');
    expect(contacts('MX', 'ht')).toContain('se pa yon sèvis ijans ni yon sèvis èd');
  });

  it('warns about every contact not yet verified: countries and numbers, with the line to fix', () => {
    const dir = copyContent();
    try {
      const file = join(dir, 'data', 'contacts.yaml');
      const text = readFileSync(file, 'utf8').replace(
        'Mexico\'s single national emergency number (gob.mx).", checked: 2026-11-23, verified: true }',
        'Mexico\'s single national emergency number (gob.mx).", checked: 2026-11-23, verified: false }',
      );
      writeFileSync(
        file,
        text.replace(
          'gob.mx.\n    checked: 2026-11-23\n    verified: true',
          'gob.mx.\n    checked: 2026-11-23\n    verified: false',
        ),
      );
      const warnings = checkContent(contentPaths(dir)).problems.filter(
        (p) => p.code === 'contacts.unverified',
      );
      const lines = readFileSync(file, 'utf8').split('\n');
      expect(warnings.map((w) => w.message)).toEqual(
        expect.arrayContaining([
          'the emergency number 911 of Mexico (MX) is not verified',
          'the contacts of Mexico (MX) are not verified',
          'the police number 110 of Guatemala (GT) is not verified',
        ]),
      );
      expect(warnings).toHaveLength(7);
      for (const w of warnings) expect(lines[w.line - 1]).toMatch(/verified: false/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names Guyana "Giyana" in Creole', () => {
    expect(contacts('giyana', 'ht')).toContain('*Kontak nan Giyana*');
  });
});
