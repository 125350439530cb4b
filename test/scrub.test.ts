import { describe, expect, it } from 'vitest';
import { foldScrubbed, MAX_SCRUBBED, scrub } from '../src/privacy/scrub.js';

describe('scrubbing free text before it is stored', () => {
  it.each([
    // phone numbers and runs of four digits or more
    ['mi telefono es 5512345678', 'mi telefono es #'],
    ['llamame al +52 55 1234 5678 por favor', 'llamame al # por favor'],
    ['my number is +1 (809) 555-1234.', 'my number is #.'],
    ['nimewo m se 509-3712-3456', 'nimewo m se #'],
    ['me deben 3500 pesos desde 2023', 'me deben # pesos desde #'],
    ['tengo 2 hijos de 5 y 7 años', 'tengo 2 hijos de 5 y 7 años'],
    ['trabajo 12 horas, 6 dias', 'trabajo 12 horas, 6 dias'],
    ['mi pasaporte A12345678', 'mi pasaporte A#'],
    // e-mails and links
    ['escribeme a maria.lopez93@gmail.com', 'escribeme a [email]'],
    ['mira https://example.org/caso?id=55 y www.foo.com', 'mira [link] y [link]'],
    ['mi face es facebook.com/maria.lopez', 'mi face es [link]'],
    ['wa.me/50937000000 ou t.me/jean_b', '[link] ou [link]'],
    ['gracias.me ayudo mucho', 'gracias.me ayudo mucho'],
    // names after the explicit phrases, in any case
    ['me llamo Maria Lopez y mi telefono es 5512345678', 'me llamo [name] y mi telefono es #'],
    [
      'Hola, me llamo maria lopez garcia, mi patron no me paga',
      'Hola, me llamo [name], mi patron no me paga',
    ],
    ['mi nombre es: Jose de la Cruz', 'mi nombre es [name]'],
    ['MI NOMBRE ES ANA Y NECESITO AYUDA', 'MI NOMBRE ES [name] Y NECESITO AYUDA'],
    ['my name is John Smith and my boss owes me', 'my name is [name] and my boss owes me'],
    ["my name's peter, i need help", "my name's [name], i need help"],
    ['I am called Rose from Haiti', 'I am called [name] from Haiti'],
    ['mwen rele Jean Baptiste epi patwon m pa peye m', 'mwen rele [name] epi patwon m pa peye m'],
    ["m'rele marie ak pitit mwen", "m'rele [name] ak pitit mwen"],
    ['non mwen se Wideline Pierre', 'non mwen se [name]'],
    // capitalised words after "soy", "I am", "I'm", "mwen se", "m se"
    ['Tapachula, soy Maria Lopez 5512345678', 'Tapachula, soy [name] #'],
    ['soy de Guatemala y no tengo papeles', 'soy de Guatemala y no tengo papeles'],
    ["Hi I'm Peter Jones, my boss hits me", "Hi I'm [name], my boss hits me"],
    ['i am looking for work', 'i am looking for work'],
    ['mwen se Jean, m bezwen ed', 'mwen se [name], m bezwen ed'],
    ['m se moun Ayiti', 'm se moun Ayiti'],
    ['Me llamo José María Pérez. Vivo en Chiapas', 'Me llamo [name]. Vivo en Chiapas'],
    ['me llamo', 'me llamo'],
    [
      'soy Ana y mi hermana es Rosa; mi nombre es Ana Diaz',
      'soy [name] y mi hermana es Rosa; mi nombre es [name]',
    ],
    ['i am called 5512345678', 'i am called #'],
    ['maria+trabajo@correo.org.mx', '[email]'],
    // questions with nothing to remove stay as they were
    ['mi patron no me paga', 'mi patron no me paga'],
    ['sispann', 'sispann'],
    ['', ''],
  ])('%s', (input, expected) => {
    expect(scrub(input)).toBe(expected);
  });

  it('cuts long text to 200 characters without splitting a character', () => {
    expect(Array.from(scrub('a'.repeat(500))).length).toBe(MAX_SCRUBBED);
    expect(Array.from(scrub('🙏'.repeat(300))).length).toBe(MAX_SCRUBBED);
    expect(scrub(`${'palabra '.repeat(30)}5512345678`)).not.toMatch(/\d{4}/);
  });

  it('folds stored questions for counting, keeping the marks', () => {
    expect(foldScrubbed(scrub('Mi patrón no me paga, me llamo María López: 5512345678'))).toBe(
      'mi patron no me paga me llamo [name] #',
    );
    expect(foldScrubbed('¿Dónde está el consulado?')).toBe('donde esta el consulado');
  });
});
