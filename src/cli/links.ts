import { extname } from 'node:path';
import type { Command } from 'commander';
import QRCode from 'qrcode';
import { loadConfig } from '../config/env.js';
import { loadFlows } from '../flows/loader.js';
import { buildLinks } from '../links/links.js';
import { LangSchema } from '../text/lang.js';
import { fail, writeJson } from './shared.js';

export function registerLinks(program: Command): void {
  program
    .command('links')
    .description('make the Telegram and WhatsApp links (and a QR code) that open a flow in a language')
    .requiredOption('--flow <id>', 'the flow to open, e.g. labor')
    .requiredOption('--lang <lang>', 'es, en or ht')
    .option('--campaign <tag>', 'a tag to count who brought people, e.g. leader-12 (letters, digits, "-")')
    .option(
      '--qr <file>',
      'write a QR code for a poster: file.png or file.svg (the WhatsApp link when there is one)',
    )
    .option('--qr-for <channel>', 'which link the QR code holds: whatsapp or telegram')
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        flow: string;
        lang: string;
        campaign?: string;
        qr?: string;
        qrFor?: string;
        json?: boolean;
      }) => {
        try {
          const config = loadConfig();
          const lang = LangSchema.parse(opts.lang);
          const { flows } = loadFlows(config.paths.flows, { root: config.paths.root });
          if (!flows.has(opts.flow)) {
            process.stderr.write(`There is no flow "${opts.flow}". Flows: ${[...flows.keys()].join(', ')}\n`);
            process.exit(1);
          }
          let links: ReturnType<typeof buildLinks>;
          try {
            links = buildLinks(
              { flow: opts.flow, lang, campaign: opts.campaign ?? null },
              { telegramBot: config.TELEGRAM_BOT_USERNAME, whatsappNumber: config.WHATSAPP_NUMBER },
            );
          } catch (e) {
            const detail =
              e instanceof Error && 'issues' in e
                ? 'a campaign tag uses letters, digits and "-", at most 40 characters'
                : String((e as Error).message);
            process.stderr.write(`The link cannot be made: ${detail}\n`);
            process.exit(1);
          }
          if (!links.telegram && !links.whatsapp) {
            process.stderr.write(
              'Set TELEGRAM_BOT_USERNAME and/or WHATSAPP_NUMBER (in .env) to make links.\n',
            );
            process.exit(1);
          }
          let qr: string | null = null;
          if (opts.qr) {
            const ext = extname(opts.qr).toLowerCase();
            if (ext !== '.png' && ext !== '.svg') {
              process.stderr.write('--qr takes a .png or .svg file name\n');
              process.exit(1);
            }
            qr =
              opts.qrFor === 'telegram'
                ? links.telegram
                : opts.qrFor === 'whatsapp'
                  ? links.whatsapp
                  : (links.whatsapp ?? links.telegram);
            if (!qr) {
              process.stderr.write(
                `There is no ${opts.qrFor} link: set ${opts.qrFor === 'telegram' ? 'TELEGRAM_BOT_USERNAME' : 'WHATSAPP_NUMBER'}\n`,
              );
              process.exit(1);
            }
            await QRCode.toFile(opts.qr, qr, {
              type: ext === '.svg' ? 'svg' : 'png',
              width: 800,
              margin: 2,
              errorCorrectionLevel: 'M',
            });
          }
          if (opts.json) return writeJson({ ...links, qr: opts.qr ? { file: opts.qr, link: qr } : null });
          if (links.telegram) process.stdout.write(`Telegram: ${links.telegram}\n`);
          if (links.whatsapp) process.stdout.write(`WhatsApp: ${links.whatsapp}\n`);
          if (opts.qr) process.stdout.write(`QR code (${qr}) written to ${opts.qr}\n`);
        } catch (e) {
          fail(e);
        }
      },
    );
}
