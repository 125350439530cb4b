import { type Document, isMap, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import type { Problem } from './problems.js';

export type Located = { line: number; column: number };
export type PathKey = string | number;

/** A parsed YAML file that can say where any value came from. */
export class YamlSource {
  private constructor(
    readonly file: string,
    readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  static parse(file: string, text: string): { source: YamlSource; problems: Problem[] } {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
    const source = new YamlSource(file, doc, lines);
    const problems: Problem[] = doc.errors.map((e) => {
      const pos = lines.linePos(e.pos[0]);
      return {
        severity: 'error',
        file,
        line: pos.line,
        column: pos.col,
        code: 'yaml',
        message: `the YAML cannot be read: ${e.message.split('\n')[0]}`,
        hint: yamlHint(e.code),
      };
    });
    return { source, problems };
  }

  data(): unknown {
    return this.doc.toJS();
  }

  /** Where the value at `path` starts; falls back to the nearest parent that exists. */
  locate(path: readonly PathKey[], preferKey = false): Located {
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true) as Node | undefined;
      if (!node?.range) continue;
      // A key that is missing is best shown at the key of its parent: "text:" for a missing "ht".
      if ((preferKey || n < path.length) && n > 0) {
        const parent = this.doc.getIn(path.slice(0, n - 1), true);
        const keyNode = keyNodeOf(parent, path[n - 1]);
        if (keyNode?.range) return this.pos(keyNode.range[0]);
      }
      return this.pos(node.range[0]);
    }
    return { line: 1, column: 1 };
  }

  problem(
    path: readonly PathKey[],
    code: string,
    message: string,
    hint?: string,
    severity: Problem['severity'] = 'error',
  ): Problem {
    const at = this.locate(path, true);
    return { severity, file: this.file, line: at.line, column: at.column, code, message, hint };
  }

  private pos(offset: number): Located {
    const p = this.lines.linePos(offset);
    return { line: p.line, column: p.col };
  }
}

function keyNodeOf(parent: unknown, key: PathKey | undefined): Node | undefined {
  if (!isMap(parent) || key === undefined) return undefined;
  for (const pair of parent.items) {
    const k = pair.key as Node & { value?: unknown };
    if (k && 'value' in k && String(k.value) === String(key)) return k;
  }
  return undefined;
}

function yamlHint(code: string): string {
  switch (code) {
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
      return 'check the indentation: nested keys use two more spaces than their parent, and never tabs';
    case 'DUPLICATE_KEY':
      return 'a key appears twice in the same block; rename or remove one of them';
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return 'a line looks like a key but is not one; put text containing ": " inside quotes';
    case 'TAB_AS_INDENT':
      return 'replace the tab characters with spaces';
    default:
      return 'put text that contains ":" or "#" inside quotes, and check the indentation';
  }
}

/** Turns zod issues into problems at the exact YAML line, with a fix in plain words. */
export function zodProblems(
  source: YamlSource,
  error: z.ZodError,
  hintFor: (issue: z.core.$ZodIssue) => string,
): Problem[] {
  return error.issues.map((issue) => {
    const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
    const where = path.length ? path.join('.') : 'the file';
    const message = describeIssue(issue, where);
    return source.problem(path, `schema.${issue.code}`, message, hintFor(issue));
  });
}

function describeIssue(issue: z.core.$ZodIssue, where: string): string {
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return `${where} is missing`;
  if (issue.code === 'unrecognized_keys') return `${where} has unknown key(s): ${issue.keys.join(', ')}`;
  return `${where}: ${issue.message}`;
}
