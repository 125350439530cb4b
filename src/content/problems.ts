import { z } from 'zod';

/** One thing wrong with a content file, said so that a staff member can find and fix it. */
export const ProblemSchema = z.object({
  severity: z.enum(['error', 'warning']),
  file: z.string(),
  line: z.number().int().min(1),
  column: z.number().int().min(1),
  code: z.string(),
  message: z.string(),
  hint: z.string().optional(),
});
export type Problem = z.infer<typeof ProblemSchema>;

export function formatProblem(p: Problem): string {
  const head = `${p.file}:${p.line}:${p.column} ${p.severity}: ${p.message}`;
  return p.hint ? `${head}\n  fix: ${p.hint}` : head;
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

/** Thrown when content cannot be loaded; carries every problem found, not just the first. */
export class ContentError extends Error {
  constructor(readonly problems: Problem[]) {
    super(
      problems
        .filter((p) => p.severity === 'error')
        .map(formatProblem)
        .join('\n'),
    );
    this.name = 'ContentError';
  }
}
