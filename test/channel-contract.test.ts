import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChannelDriver,
  consoleDriver,
  type Seen,
  telegramDriver,
  whatsappCloudDriver,
  whatsappDriver,
} from './support/channel-drivers.js';

/** One contract every channel adapter must pass: the same conversation, whatever the app. */
const drivers: Array<[string, () => Promise<ChannelDriver>]> = [
  ['console', consoleDriver],
  ['telegram', telegramDriver],
  ['whatsapp', whatsappDriver],
  ['whatsapp-cloud', whatsappCloudDriver],
];

const last = (seen: Seen[]) => seen.at(-1) ?? { text: '', choices: [] };

for (const [name, make] of drivers) {
  describe(`channel contract: ${name}`, () => {
    let d: ChannelDriver;
    beforeAll(async () => {
      d = await make();
    });
    afterAll(async () => {
      await d.close();
    });

    it("greets in the user's language with the main menu as choices", async () => {
      const seen = await d.say(9101, 'hola');
      expect(seen[0]!.text).toContain('Hola, soy Puente');
      expect(last(seen).choices.slice(0, 2)).toEqual(['Trabajo y justicia laboral', 'COVID-19: prevención']);
    });

    it('selects by number and by label, and goes back', async () => {
      expect(last(await d.say(9101, '1')).text).toContain('Tus derechos en el trabajo');
      expect(last(await d.say(9101, 'atrás')).choices).toContain('Trata de personas');
      expect(last(await d.say(9101, 'niñez y familia')).text).toContain('Niñez y familia');
    });

    it('answers free text from the FAQ, with the follow-up choices', async () => {
      const seen = last(await d.say(9101, 'mi patron no me quiere pagar el sueldo'));
      expect(seen.text).toContain('Salario no pagado');
      expect(seen.choices[0]).toContain('Sí, me sirvió');
    });

    it('switches language at any time', async () => {
      await d.say(9101, 'idioma');
      const seen = last(await d.say(9101, '3'));
      expect(seen.choices[0]).toBe('Dwa travay ak jistis');
    });

    it('replies to media that it reads text only', async () => {
      const seen = await d.media(9101);
      expect(seen[0]!.text).toContain('tèks sèlman');
      expect(last(seen).choices[0]).toBe('Dwa travay ak jistis');
    });

    it('answers a voice note in the language it knows: it cannot listen yet, a person or the menu', async () => {
      const seen = await d.voice(9101);
      expect(seen[0]!.text).toContain('Mwen poko ka koute mesaj vokal');
      expect(seen[0]!.choices).toEqual(expect.arrayContaining(['🙋 Pale ak yon moun', '🏠 Meni prensipal']));
      expect(last(await d.say(9101, '1')).text).toContain('Pale ak yon moun');
    });

    it('answers a first voice note in the three languages, then asks for the language', async () => {
      const seen = await d.voice(9104);
      const text = seen.map((s) => s.text).join('\n');
      for (const words of ['Todavía no puedo escuchar', "I can't listen", 'Mwen poko ka koute'])
        expect(text).toContain(words);
      expect(last(seen).choices).toContain('Kreyòl ayisyen');
    });

    it('opens a deep link in its language and flow', async () => {
      const seen = last(await d.deepLink(9102, 'en_covid_poster1'));
      expect(seen.text).toContain('COVID-19: what do you want to know?');
    });

    it('shows the emergency card for danger, and leaves at once on quick exit', async () => {
      await d.say(9103, 'hola');
      const card = last(await d.say(9103, 'me estan golpeando'));
      expect(card.text).toContain('911');
      expect(card.choices).toEqual(expect.arrayContaining(['🚪 Salida rápida', '🙋 Hablar con una persona']));
      expect(await d.say(9103, 'salir')).toEqual([{ text: 'OK 👍', choices: [] }]);
      expect((await d.say(9103, 'hola'))[0]!.text).toContain('Hola, soy Puente');
    });

    it("deletes the user's data on stop", async () => {
      expect(last(await d.say(9102, 'stop')).text).toContain('We deleted what we kept about you');
      expect(last(await d.say(9102, 'bonjou')).choices[0]).toBe('Dwa travay ak jistis');
    });
  });
}
