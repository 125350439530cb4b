import { countryLookup } from '../contacts/country.js';
import type { EngineContext, Translate } from '../engine/context.js';
import type { ContactsFile, EmergencyNumber } from '../faq/schema.js';
import { commonText } from '../i18n/keys.js';
import type { Lang } from '../text/lang.js';

/**
 * The line that puts the emergency numbers one message away: the numbers of the user's
 * country, or, when it is unknown, the number most of the region shares and the countries
 * that differ, so that nobody has to choose a country before they can call.
 */
export function emergencyLiner(file: ContactsFile, t: Translate): EngineContext['emergencyLine'] {
  const find = countryLookup(file);
  const numbers = (list: EmergencyNumber[], lang: Lang) => formatNumbers(list, lang, t);
  const countries = Object.values(file.countries).filter((c) => c.emergency.length > 0);
  // The number most countries answer on for every emergency: "call 911" is then true for them.
  const shared = mostCommon(
    countries.flatMap((c) =>
      c.emergency.length === 1 && !c.emergency[0]!.service ? [c.emergency[0]!.number] : [],
    ),
  );
  const others = countries.filter(
    (c) => !(c.emergency.length === 1 && !c.emergency[0]!.service && c.emergency[0]!.number === shared),
  );
  return (country, lang) => {
    const found = country ? find(country) : null;
    if (found && found.contacts.emergency.length > 0) {
      return commonText(t, lang, 'emergency.country', {
        country: found.contacts.name[lang],
        numbers: numbers(found.contacts.emergency, lang),
      });
    }
    if (!shared && !others.length) return commonText(t, lang, 'emergency.unknown');
    const exceptions = others.map((c) =>
      commonText(t, lang, 'emergency.except', { country: c.name[lang], numbers: numbers(c.emergency, lang) }),
    );
    const rest = exceptions.join('; ');
    const list = shared ? (rest ? `${shared} (${rest})` : shared) : rest;
    return commonText(t, lang, 'emergency.region', { numbers: list });
  };
}

/** "911", or "911 police, 912 fire, 913 ambulance" where the services have their own numbers. */
export function formatNumbers(list: readonly EmergencyNumber[], lang: Lang, t: Translate): string {
  return list
    .map((n) =>
      n.service
        ? commonText(t, lang, 'emergency.withService', {
            number: n.number,
            service: commonText(t, lang, `emergency.service.${n.service}`),
          })
        : n.number,
    )
    .join(', ');
}

function mostCommon(values: string[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | null = null;
  for (const [v, n] of counts) if (best === null || n > counts.get(best)!) best = v;
  return best;
}
