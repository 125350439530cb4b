import { z } from 'zod';

/**
 * The parts of the Cloud API's webhook calls the bot reads, checked at the boundary. Objects are
 * loose: Meta adds fields over time, and a field we do not read must not make a call fail.
 *
 * Typed packages exist (@whatsapp-cloudapi/types, whatsapp-api-js's types, @kapso/whatsapp-cloud-api),
 * but none fits: one lacks location and referral messages, one is a whole client whose sending and
 * errors we would not control, one is a pre-1.0 client that renames every field. Types alone would
 * not validate anything either: these schemas do both.
 */

/** Meta sends numbers as strings; an id may come as either. */
const Id = z.union([z.string().min(1), z.number().transform(String)]);

const ErrorSchema = z.looseObject({
  code: z.number().int(),
  title: z.string().optional(),
});
export type CloudError = z.infer<typeof ErrorSchema>;

const ReferralSchema = z.looseObject({
  source_type: z.string().optional(),
  source_id: z.string().optional(),
});

/** One incoming message. `from` is the phone number (wa_id); some users only have a business-scoped id. */
export const CloudMessageSchema = z.looseObject({
  id: z.string().min(1),
  from: z.string().min(1).optional(),
  from_user_id: z.string().min(1).optional(),
  timestamp: z.coerce.number().optional(),
  type: z.string(),
  text: z.looseObject({ body: z.string() }).optional(),
  interactive: z
    .looseObject({
      type: z.string(),
      button_reply: z.looseObject({ id: z.string(), title: z.string() }).optional(),
      list_reply: z.looseObject({ id: z.string(), title: z.string() }).optional(),
    })
    .optional(),
  /** A quick-reply button of a template. */
  button: z.looseObject({ payload: z.string().optional(), text: z.string() }).optional(),
  audio: z
    .looseObject({
      id: z.string().optional(),
      mime_type: z.string().optional(),
      voice: z.boolean().optional(),
    })
    .optional(),
  voice: z.looseObject({ id: z.string().optional(), mime_type: z.string().optional() }).optional(),
  /** Set on the first message after a click on a click-to-WhatsApp ad or post. */
  referral: ReferralSchema.optional(),
  group_id: z.string().optional(),
});
export type CloudMessage = z.infer<typeof CloudMessageSchema>;

export const STATUSES = ['sent', 'delivered', 'read', 'failed'] as const;

/** What happened to a message the bot sent. */
export const CloudStatusSchema = z.looseObject({
  id: z.string().min(1),
  status: z.string(),
  timestamp: z.coerce.number().optional(),
  errors: z.array(ErrorSchema).optional(),
});

const ValueSchema = z.looseObject({
  messaging_product: z.literal('whatsapp').optional(),
  metadata: z.looseObject({ phone_number_id: Id }).optional(),
  /** Checked one by one: one malformed item must not lose the others. */
  messages: z.array(z.unknown()).optional(),
  statuses: z.array(z.unknown()).optional(),
});

export const WebhookBodySchema = z.looseObject({
  object: z.string(),
  entry: z.array(
    z.looseObject({
      changes: z.array(z.looseObject({ field: z.string(), value: ValueSchema })).default([]),
    }),
  ),
});
export type WebhookBody = z.infer<typeof WebhookBodySchema>;
