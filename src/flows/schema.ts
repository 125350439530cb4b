import { z } from 'zod';
import { StepAudioSchema } from '../audio/ref.js';
import { ReviewSchema } from '../content/review-schema.js';

/**
 * Flow files: one YAML file per flow in flows/. Every user-visible string is written
 * inline in the three languages, so a missing translation is reported at its own line.
 */

const ID = /^[a-z][a-z0-9-]*$/;
const VAR = /^[a-z][a-z0-9_]*$/;

export const LocalizedSchema = z.strictObject({
  es: z.string().trim().min(1),
  en: z.string().trim().min(1),
  ht: z.string().trim().min(1),
});
export type Localized = z.infer<typeof LocalizedSchema>;

const StepId = z.string().regex(ID, 'a step id uses lower-case letters, digits and "-"');
const FlowId = z.string().regex(ID, 'a flow id uses lower-case letters, digits and "-"');
const FaqId = z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9-]+$/, 'an FAQ id looks like "labor.unpaid-wages"');
const VarName = z.string().regex(VAR, 'a variable name uses lower-case letters, digits and "_"');

/** Option ids that the engine adds to menus itself; "exit" is the quick exit, wherever it is pressed. */
export const RESERVED_OPTION_IDS = ['back', 'menu', 'yes', 'no', 'exit', 'listen'] as const;

export const OptionSchema = z
  .strictObject({
    id: z
      .string()
      .regex(ID, 'an option id uses lower-case letters, digits and "-"')
      .refine((id) => !(RESERVED_OPTION_IDS as readonly string[]).includes(id), {
        message: `option ids ${RESERVED_OPTION_IDS.join(', ')} are reserved for the engine`,
      }),
    label: LocalizedSchema,
    next: StepId.optional(),
    flow: FlowId.optional(),
    faq: FaqId.optional(),
    set: z.record(VarName, z.string()).optional(),
  })
  .refine((o) => [o.next, o.flow, o.faq].filter(Boolean).length === 1, {
    message: 'an option needs exactly one target: next (a step), flow or faq',
  });
export type Option = z.infer<typeof OptionSchema>;

export const MessageStepSchema = z.strictObject({
  type: z.literal('message'),
  text: LocalizedSchema,
  /** The message recorded: one file named for its language, or one per language (es:, en:, ht:). */
  audio: StepAudioSchema.optional(),
  next: StepId,
});

export const MenuStepSchema = z.strictObject({
  type: z.literal('menu'),
  text: LocalizedSchema,
  options: z.array(OptionSchema).min(1).max(12),
});

export const FaqStepSchema = z.strictObject({
  type: z.literal('faq'),
  faq: FaqId,
  /** Without `next`, the answer ends with the helpful / related / menu options. */
  next: StepId.optional(),
});

export const QuestionStepSchema = z.strictObject({
  type: z.literal('question'),
  text: LocalizedSchema,
  var: VarName,
  next: StepId,
});

export const BranchStepSchema = z.strictObject({
  type: z.literal('branch'),
  var: VarName,
  cases: z.record(z.string(), StepId),
  default: StepId,
});

export const GotoStepSchema = z.strictObject({
  type: z.literal('goto'),
  flow: FlowId,
});

export const ContactsStepSchema = z.strictObject({
  type: z.literal('contacts'),
  next: StepId,
});

export const EndStepSchema = z.strictObject({
  type: z.literal('end'),
  text: LocalizedSchema.optional(),
});

export const StepSchema = z.discriminatedUnion('type', [
  MessageStepSchema,
  MenuStepSchema,
  FaqStepSchema,
  QuestionStepSchema,
  BranchStepSchema,
  GotoStepSchema,
  ContactsStepSchema,
  EndStepSchema,
]);
export type Step = z.infer<typeof StepSchema>;
export type StepType = Step['type'];
export const STEP_TYPES = StepSchema.options.map((o) => o.shape.type.value);

export const FlowSchema = z.strictObject({
  id: FlowId,
  description: z.string().optional(),
  /** Per language: who checked this flow's texts, when, and against which Spanish texts. */
  reviewed: z
    .strictObject({ es: ReviewSchema.optional(), en: ReviewSchema.optional(), ht: ReviewSchema.optional() })
    .optional(),
  start: StepId,
  steps: z
    .record(StepId, StepSchema)
    .refine((s) => Object.keys(s).length > 0, 'a flow needs at least one step'),
});
export type Flow = z.infer<typeof FlowSchema>;

export type MenuStep = z.infer<typeof MenuStepSchema>;
export type FaqStep = z.infer<typeof FaqStepSchema>;
export type MessageStep = z.infer<typeof MessageStepSchema>;
export type QuestionStep = z.infer<typeof QuestionStepSchema>;
export type BranchStep = z.infer<typeof BranchStepSchema>;
export type GotoStep = z.infer<typeof GotoStepSchema>;
export type ContactsStep = z.infer<typeof ContactsStepSchema>;
export type EndStep = z.infer<typeof EndStepSchema>;
