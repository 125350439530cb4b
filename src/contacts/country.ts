import type { ContactsFile, CountryContacts } from '../faq/schema.js';
import { fold } from '../text/normalize.js';

export type FoundCountry = { code: string; contacts: CountryContacts };

/** Finds a country by its code or by a name as people type it ("mexico", "Rep. Dominicana"). */
export function countryLookup(file: ContactsFile): (country: string) => FoundCountry | null {
  const byName = new Map<string, string>();
  for (const [code, c] of Object.entries(file.countries)) {
    for (const name of [code, ...Object.values(c.name), ...c.aliases]) byName.set(fold(name), code);
  }
  return (country) => {
    const code = byName.get(fold(country));
    const contacts = code ? file.countries[code] : undefined;
    return code && contacts ? { code, contacts } : null;
  };
}
