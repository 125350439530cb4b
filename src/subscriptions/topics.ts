import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { z } from 'zod';
import type { Problem } from '../content/problems.js';
import { YamlSource, zodProblems } from '../content/yaml.js';

/**
 * The topics people can subscribe to (data/topics.yaml): staff add them, each with its name in
 * the three languages and the FAQ ids whose answers offer news on it.
 */

export const TopicIdSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,23}$/, 'a topic id uses lower-case letters, digits and "-", at most 24');

const TopicSchema = z.strictObject({
  name: z.strictObject({
    es: z.string().trim().min(1).max(60),
    en: z.string().trim().min(1).max(60),
    ht: z.string().trim().min(1).max(60),
  }),
  /** Beginnings of FAQ ids: "covid." offers the topic after every COVID-19 answer. */
  faq: z.array(z.string().min(1)).default([]),
});
export type Topic = z.infer<typeof TopicSchema> & { id: string };

export const TopicsFileSchema = z.strictObject({ topics: z.record(TopicIdSchema, TopicSchema) });
export type TopicsFile = z.infer<typeof TopicsFileSchema>;

const HINT = 'see the comment at the top of data/topics.yaml';

export function topicList(file: TopicsFile): Topic[] {
  return Object.entries(file.topics).map(([id, t]) => ({ id, ...t }));
}

/** The topic whose news an FAQ answer offers: the longest matching beginning wins. */
export function topicOfFaq(topics: readonly Topic[], faqId: string): string | null {
  let best: { id: string; len: number } | null = null;
  for (const t of topics)
    for (const prefix of t.faq)
      if (faqId.startsWith(prefix) && (!best || prefix.length > best.len))
        best = { id: t.id, len: prefix.length };
  return best?.id ?? null;
}

/** Reads data/topics.yaml; a missing file means no topics, so nobody is offered news. */
export function loadTopics(
  path: string,
  root: string,
  faqIds: ReadonlySet<string>,
): { topics: TopicsFile; problems: Problem[] } {
  const empty: TopicsFile = { topics: {} };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return { topics: empty, problems: [] };
  }
  const { source, problems } = YamlSource.parse(relative(root, path), text);
  if (problems.length) return { topics: empty, problems };
  const parsed = TopicsFileSchema.safeParse(source.data() ?? { topics: {} });
  if (!parsed.success) return { topics: empty, problems: zodProblems(source, parsed.error, () => HINT) };
  const found: Problem[] = [];
  for (const [id, t] of Object.entries(parsed.data.topics)) {
    for (const [i, prefix] of t.faq.entries()) {
      if (![...faqIds].some((f) => f.startsWith(prefix)))
        found.push(
          source.problem(
            ['topics', id, 'faq', i],
            'topic.faq',
            `no FAQ id in data/faq/ begins with "${prefix}", so no answer offers news on "${id}"`,
            'write the beginning of an existing FAQ id, such as "covid." or "labor.unpaid-wages"',
            'warning',
          ),
        );
    }
  }
  return { topics: parsed.data, problems: found };
}
