import { extname } from 'node:path';
import { type Command, Option } from 'commander';
import QRCode from 'qrcode';
import { loadConfig } from '../config/env.js';
import { CampaignSchema } from '../engine/payload.js';
import { loadFlows } from '../flows/loader.js';
import { buildLinks } from '../links/links.js';
import type { Lang } from '../text/lang.js';
import { langOption, parseImageFile, parseWith, usageError } from './args.js';
import { fail, writeJson } from './shared.js';

export function registerLinks(program: Command): void {
  program
    .command('links')
    .description('make the Telegram and WhatsApp links (and a QR code) that open a flow in a language')
    .requiredOption('--flow <id>', 'the flow to open, e.g. labor')
    .addOption(langOption('the language the flow opens in').makeOptionMandatory())
    .option(
      '--campaign <tag>',
      'a tag to count who brought people, e.g. leader-12 (letters, digits, "-")',
      parseWith(CampaignSchema),
    )
    .option(
      '--qr <file>',
      'write a QR code for a poster: file.png or file.svg (the WhatsApp link when there is one)',
      parseImageFile,
    )
    .addOption(
      new Option('--qr-for <channel>', 'which link the QR code holds').choices(['whatsapp', 'telegram']),
    )
    .option('--json', 'print JSON')
    .action(
      async (opts: {
        flow: string;
        lang: Lang;
        campaign?: string;
        qr?: string;
        qrFor?: 'whatsapp' | 'telegram';
        json?: boolean;
      }) => {
        try {
          const config = loadConfig();
          const lang = opts.lang;
          const { flows } = loadFlows(config.paths.flows, { root: config.paths.root });
          if (!flows.has(opts.flow))
            usageError(
              `option '--flow <id>' argument '${opts.flow}' is invalid. Flows: ${[...flows.keys()].join(', ')}.`,
            );
          let links: ReturnType<typeof buildLinks>;
          try {
            links = buildLinks(
              { flow: opts.flow, lang, campaign: opts.campaign ?? null },
              { telegramBot: config.TELEGRAM_BOT_USERNAME, whatsappNumber: config.WHATSAPP_NUMBER },
            );
          } catch (e) {
            // The campaign tag is valid alone but too long beside this flow's id.
            usageError(
              `option '--campaign <tag>' is too long for this flow: ${e instanceof Error ? e.message : String(e)}`,
            );
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
