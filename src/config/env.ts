import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { parseHours } from '../handoff/hours.js';
import { LangSchema } from '../text/lang.js';

/** The repository root: content and data paths are relative to it, whatever the working directory. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const flag = z
  .enum(['0', '1', 'true', 'false', 'yes', 'no', ''])
  .optional()
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const optional = z
  .string()
  .optional()
  .transform((v) => (v?.trim() ? v.trim() : undefined));

/** The Graph API version the WhatsApp Cloud API client was written and tested against. */
export const GRAPH_API_VERSION = 'v24.0';

export const EnvSchema = z
  .object({
    DB_PATH: z.string().default('data/runtime/puente.db'),
    /** A PostgreSQL database shared by several instances; without it, the SQLite file at DB_PATH. */
    DATABASE_URL: optional.pipe(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL is a postgres:// URL')
        .optional(),
    ),
    CONTENT_DIR: z.string().default('.'),
    DEFAULT_LANG: LangSchema.default('es'),
    USER_KEY_SECRET: optional.pipe(
      z.string().min(16, 'USER_KEY_SECRET must be at least 16 characters').optional(),
    ),
    /** The old name of USER_KEY_SECRET, still accepted. */
    USER_KEY_SALT: optional.pipe(
      z.string().min(16, 'USER_KEY_SALT must be at least 16 characters').optional(),
    ),
    SECRET_KEY_FILE: optional.transform((v) => v ?? 'data/runtime/secret.key'),
    RETENTION_DAYS: z.coerce.number().int().min(0).default(90),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    TELEGRAM_BOT_TOKEN: optional,
    TELEGRAM_BOT_USERNAME: optional,
    TELEGRAM_API_ROOT: optional.pipe(z.url().optional()),
    TELEGRAM_WEBHOOK_URL: optional.pipe(z.url().optional()),
    TELEGRAM_WEBHOOK_SECRET: optional.pipe(
      z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,256}$/)
        .optional(),
    ),
    /** The old name of HTTP_PORT, still accepted. */
    TELEGRAM_WEBHOOK_PORT: optional.pipe(
      z.coerce.number<string | undefined>().int().min(0).max(65535).optional(),
    ),
    WHATSAPP_ENABLED: flag,
    WHATSAPP_NUMBER: optional.pipe(
      z
        .string()
        .regex(/^\d{6,15}$/, 'WHATSAPP_NUMBER is digits only, with country code')
        .optional(),
    ),
    WHATSAPP_SESSION_DIR: z.string().default('data/runtime/whatsapp'),
    WHATSAPP_WEB_VERSION: optional,
    WHATSAPP_WEB_VERSION_URL: optional.pipe(
      z
        .string()
        .includes('{version}', { message: 'WHATSAPP_WEB_VERSION_URL must contain {version}' })
        .optional(),
    ),
    CHROME_PATH: optional,
    WHATSAPP_CLOUD_TOKEN: optional,
    WHATSAPP_CLOUD_PHONE_NUMBER_ID: optional.pipe(
      z
        .string()
        .regex(/^\d{5,20}$/, 'WHATSAPP_CLOUD_PHONE_NUMBER_ID is the numeric id Meta shows beside the number')
        .optional(),
    ),
    WHATSAPP_CLOUD_APP_SECRET: optional,
    WHATSAPP_CLOUD_VERIFY_TOKEN: optional,
    WHATSAPP_CLOUD_API_ROOT: optional
      .pipe(z.url().optional())
      .transform((v) => (v ?? 'https://graph.facebook.com').replace(/\/+$/, '')),
    WHATSAPP_CLOUD_API_VERSION: optional.pipe(
      z
        .string()
        .regex(/^v\d+\.\d+$/, 'WHATSAPP_CLOUD_API_VERSION looks like v24.0')
        .default(GRAPH_API_VERSION),
    ),
    /**
     * Broadcast messages per second on each channel. Unset: 80 % of the channel's limit (24/s on
     * Telegram), leaving room for replies. WhatsApp Web never goes above 10 per minute.
     */
    BROADCAST_RATE: optional.pipe(
      z.coerce
        .number<string | undefined>({ message: 'BROADCAST_RATE is messages per second, e.g. 24 or 0.5' })
        .positive('BROADCAST_RATE is messages per second, more than 0')
        .max(1000, 'BROADCAST_RATE is at most 1000 messages per second')
        .optional(),
    ),
    /** Broadcasts over WhatsApp Web: off by default, because bulk sending gets numbers banned. */
    WHATSAPP_WEB_BROADCAST: flag,
    HTTP_PORT: optional.pipe(z.coerce.number<string | undefined>().int().min(0).max(65535).optional()),
    HTTP_HOST: z.string().default('127.0.0.1'),
    /** On SIGTERM or SIGINT: how long the outbox may send before the process exits. */
    SHUTDOWN_GRACE_S: z.coerce.number().min(0).max(600).default(10),
    /** How long a message is retried on 5xx and network errors before it is given up on. */
    OUTBOX_RETRY_H: z.coerce
      .number()
      .positive()
      .max(24 * 30)
      .default(24),
    /** Telegram's limits: messages per second per bot, and per chat sustained. */
    OUTBOX_TELEGRAM_PER_S: z.coerce.number().positive().max(10_000).default(30),
    OUTBOX_PER_CHAT_PER_S: z.coerce.number().positive().max(10_000).default(1),
    /** How long a channel may take to start (Telegram's getMe) before the bot gives up. */
    STARTUP_TIMEOUT_S: z.coerce.number().positive().max(600).default(30),
    /** WhatsApp Web: messages that arrived while the client was down are answered when younger than this. */
    WHATSAPP_GRACE_MIN: z.coerce
      .number()
      .min(0)
      .max(24 * 60)
      .default(10),
    HOT_RELOAD: flag.default(true),
    STUDIO_PORT: z.coerce.number().int().min(1).max(65535).default(8080),
    STUDIO_HOST: z.string().default('127.0.0.1'),
    STUDIO_TOKEN: optional,
    /** Who runs this bot, for "talk to a person": shown to users as written. */
    ORG_NAME: optional.pipe(z.string().max(80, 'ORG_NAME is at most 80 characters').optional()),
    ORG_CONTACT: optional.pipe(z.string().max(200, 'ORG_CONTACT is at most 200 characters').optional()),
    ORG_HOURS: optional.pipe(z.string().max(120, 'ORG_HOURS is at most 120 characters').optional()),
    /** The staff inbox: a Telegram supergroup with topics, by its id (it starts with -100). */
    STAFF_CHAT_ID: optional.pipe(
      z
        .string()
        .regex(/^-100\d{5,}$/, 'STAFF_CHAT_ID is the id of a supergroup, like -1001234567890')
        .optional(),
    ),
    /** When staff read the inbox, e.g. "Mon-Fri 08:00-17:00"; parsed here so a typo stops the start. */
    HANDOFF_HOURS: optional.transform((v, ctx) => {
      if (!v) return undefined;
      try {
        return parseHours(v);
      } catch (e) {
        ctx.addIssue({
          code: 'custom',
          message: `HANDOFF_HOURS: ${e instanceof Error ? e.message : String(e)}`,
        });
        return z.NEVER;
      }
    }),
    HANDOFF_TZ: z
      .string()
      .default('UTC')
      .refine(validZone, 'HANDOFF_TZ is an IANA time zone such as America/Guatemala'),
    HANDOFF_IDLE_H: z.coerce
      .number()
      .positive()
      .max(24 * 30)
      .default(24),
  })
  .superRefine((e, ctx) => {
    // A contact without a name, or hours without a contact, would send people nowhere.
    if (e.ORG_CONTACT && !e.ORG_NAME) {
      ctx.addIssue({
        code: 'custom',
        path: ['ORG_NAME'],
        message: 'ORG_NAME is needed when ORG_CONTACT is set: people must know whom they are writing to',
      });
    }
    if (e.ORG_HOURS && !e.ORG_CONTACT) {
      ctx.addIssue({
        code: 'custom',
        path: ['ORG_CONTACT'],
        message:
          'ORG_CONTACT is needed when ORG_HOURS is set: hours alone do not tell people how to reach you',
      });
    }
    // The inbox lives in Telegram, and users must be told whose people read them.
    if (e.STAFF_CHAT_ID && !e.TELEGRAM_BOT_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['TELEGRAM_BOT_TOKEN'],
        message: 'STAFF_CHAT_ID needs TELEGRAM_BOT_TOKEN: the bot reads and writes the staff group',
      });
    }
    if (e.STAFF_CHAT_ID && !e.ORG_NAME) {
      ctx.addIssue({
        code: 'custom',
        path: ['ORG_NAME'],
        message: 'ORG_NAME is needed with STAFF_CHAT_ID: users are told whose people will read them',
      });
    }
    // Without the app secret no webhook call can be trusted, and without the verify token Meta
    // cannot register the webhook: a half-configured Cloud API channel would answer nobody.
    if (!e.WHATSAPP_CLOUD_TOKEN !== !e.WHATSAPP_CLOUD_PHONE_NUMBER_ID) {
      ctx.addIssue({
        code: 'custom',
        path: [e.WHATSAPP_CLOUD_TOKEN ? 'WHATSAPP_CLOUD_PHONE_NUMBER_ID' : 'WHATSAPP_CLOUD_TOKEN'],
        message: 'the WhatsApp Cloud API needs both WHATSAPP_CLOUD_TOKEN and WHATSAPP_CLOUD_PHONE_NUMBER_ID',
      });
    }
    if (!e.WHATSAPP_CLOUD_TOKEN || !e.WHATSAPP_CLOUD_PHONE_NUMBER_ID) return;
    for (const name of ['WHATSAPP_CLOUD_APP_SECRET', 'WHATSAPP_CLOUD_VERIFY_TOKEN'] as const) {
      if (!e[name]) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `${name} is needed with WHATSAPP_CLOUD_TOKEN: see "WhatsApp Cloud API" in the README`,
        });
      }
    }
  });
export type Env = z.infer<typeof EnvSchema>;

function validZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export type Config = Omit<Env, 'HTTP_PORT'> & {
  /** HTTP_PORT, or its old name TELEGRAM_WEBHOOK_PORT, or 3000. */
  HTTP_PORT: number;
  /** True when the operator set the port: the HTTP server starts for /health and /metrics. */
  httpPortSet: boolean;
  paths: {
    db: string;
    flows: string;
    locales: string;
    faq: string;
    contacts: string;
    safety: string;
    smalltalk: string;
    templates: string;
    /** Spellings, regional words and concepts that search and triage read (data/lexicon/<lang>.yaml). */
    lexicon: string;
    topics: string;
    root: string;
  };
};

/** Reads the environment (and .env, when present) and says clearly what is wrong with it. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, readDotEnv = true): Config {
  const dotenv = join(ROOT, '.env');
  if (readDotEnv && env === process.env && existsSync(dotenv)) process.loadEnvFile(dotenv);
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(
      `The configuration is not valid:\n${lines.join('\n')}\nSee "Configuration" in the README.`,
    );
  }
  const e = parsed.data;
  const abs = (p: string) => (isAbsolute(p) ? p : join(ROOT, p));
  return {
    ...e,
    HTTP_PORT: e.HTTP_PORT ?? e.TELEGRAM_WEBHOOK_PORT ?? 3000,
    httpPortSet: e.HTTP_PORT !== undefined || e.TELEGRAM_WEBHOOK_PORT !== undefined,
    SECRET_KEY_FILE: abs(e.SECRET_KEY_FILE),
    paths: contentPaths(abs(e.CONTENT_DIR), e.DB_PATH === ':memory:' ? e.DB_PATH : abs(e.DB_PATH)),
  };
}

/** Where the content lives under a content folder: flows/, locales/, data/faq/ and the files in data/. */
export function contentPaths(root: string, db = ':memory:'): Config['paths'] {
  return {
    db,
    root,
    flows: join(root, 'flows'),
    locales: join(root, 'locales'),
    faq: join(root, 'data', 'faq'),
    contacts: join(root, 'data', 'contacts.yaml'),
    safety: join(root, 'data', 'safety.yaml'),
    smalltalk: join(root, 'data', 'smalltalk.yaml'),
    templates: join(root, 'data', 'templates.yaml'),
    lexicon: join(root, 'data', 'lexicon'),
    topics: join(root, 'data', 'topics.yaml'),
  };
}

/** The official WhatsApp channel is on when it has a token and the number to send from. */
export function cloudApiEnabled(c: Env): boolean {
  return Boolean(c.WHATSAPP_CLOUD_TOKEN && c.WHATSAPP_CLOUD_PHONE_NUMBER_ID);
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}
