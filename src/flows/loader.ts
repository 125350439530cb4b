import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import type { z } from 'zod';
import type { Problem } from '../content/problems.js';
import { type PathKey, YamlSource, zodProblems } from '../content/yaml.js';
import { isLang, LANG_NAMES } from '../text/lang.js';
import { type Flow, FlowSchema, STEP_TYPES, type Step } from './schema.js';

/** Flows the engine itself relies on: the home menu and the language switch. */
export const REQUIRED_FLOWS = ['main', 'language'] as const;

export type LoadedFlows = { flows: Map<string, Flow>; sources: Map<string, YamlSource>; problems: Problem[] };

export type FlowLoadOptions = {
  /** When given, options and steps that name an FAQ id outside this set are reported. */
  faqIds?: ReadonlySet<string>;
  /** FAQ files that exist but failed to load: their own problems say why, so references to them are not reported. */
  brokenFaqIds?: ReadonlySet<string>;
  /** Paths in messages are shown relative to this folder. */
  root?: string;
};

export function loadFlows(dir: string, options: FlowLoadOptions = {}): LoadedFlows {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort();
  const flows = new Map<string, Flow>();
  const sources = new Map<string, YamlSource>();
  const problems: Problem[] = [];
  // Files that exist but failed to load: a reference to one is not "a flow that does not exist".
  const broken = new Set<string>();
  for (const name of files) {
    const path = join(dir, name);
    const shown = relative(options.root ?? process.cwd(), path) || path;
    const result = parseFlow(shown, readFileSync(path, 'utf8'));
    problems.push(...result.problems);
    const expected = basename(name).replace(/\.ya?ml$/, '');
    if (!result.flow || !result.source) {
      broken.add(expected);
      continue;
    }
    if (result.flow.id !== expected) {
      broken.add(expected);
      problems.push(
        result.source.problem(
          ['id'],
          'flow.id',
          `the flow id "${result.flow.id}" differs from the file name`,
          `rename the file to ${result.flow.id}.yaml or set id: ${expected}`,
        ),
      );
      continue;
    }
    flows.set(result.flow.id, result.flow);
    sources.set(result.flow.id, result.source);
  }
  for (const id of REQUIRED_FLOWS) {
    if (!flows.has(id) && !problems.some((p) => p.file.endsWith(`${id}.yaml`))) {
      problems.push({
        severity: 'error',
        file: relative(options.root ?? process.cwd(), join(dir, `${id}.yaml`)),
        line: 1,
        column: 1,
        code: 'flow.required',
        message: `the "${id}" flow is missing`,
        hint: `the bot needs flows/${id}.yaml; restore it from version control`,
      });
    }
  }
  const refs: Refs = { flows, broken, faqIds: options.faqIds, brokenFaqIds: options.brokenFaqIds };
  for (const [id, flow] of flows) problems.push(...crossCheck(flow, sources.get(id)!, refs));
  problems.push(...cycleProblems(flows, sources));
  return { flows, sources, problems };
}

export function parseFlow(
  file: string,
  text: string,
): { flow?: Flow; source?: YamlSource; problems: Problem[] } {
  const { source, problems } = YamlSource.parse(file, text);
  if (problems.length) return { problems };
  const parsed = FlowSchema.safeParse(source.data());
  if (!parsed.success) {
    const problems = zodProblems(source, parsed.error, flowHint).map((p, i) =>
      missingString(p, parsed.error.issues[i]!, file),
    );
    return { problems };
  }
  return { flow: parsed.data, source, problems: [] };
}

/** A missing translation is its own kind of problem, named by its i18next key, so staff can count them per language. */
function missingString(p: Problem, issue: z.core.$ZodIssue, file: string): Problem {
  const lang = issue.path.at(-1);
  if (!isLang(lang) || issue.code !== 'invalid_type' || issue.path[0] !== 'steps') return p;
  const flow = basename(file).replace(/\.ya?ml$/, '');
  const key = `flow.${flow}:${issue.path.slice(1, -1).join('.')}`;
  return {
    ...p,
    code: `string.missing.${lang}`,
    message: `the ${LANG_NAMES[lang]} (${lang}) text "${key}" is missing (${issue.path.join('.')})`,
  };
}

function flowHint(issue: z.core.$ZodIssue): string {
  const last = issue.path.at(-1);
  if (issue.code === 'invalid_union' && (last === 'type' || issue.path.at(-2) === 'steps')) {
    return `set "type:" to one of the step kinds: ${STEP_TYPES.join(', ')}`;
  }
  if (isLang(last) && issue.code === 'invalid_type') {
    return `add the ${LANG_NAMES[last]} text on its own line, e.g. "${last}: ..."; every text needs es, en and ht`;
  }
  if (issue.code === 'invalid_value' && last === 'type') {
    return `use one of the step kinds: ${STEP_TYPES.join(', ')}`;
  }
  if (issue.code === 'unrecognized_keys')
    return 'remove the key or fix its spelling; the README lists the keys of each step kind';
  if (issue.code === 'invalid_type' && typeof last === 'string') return `add "${last}:" here`;
  return 'see "Writing a flow" in the README';
}

/** What a flow's references are checked against. */
type Refs = {
  flows: Map<string, Flow>;
  broken: ReadonlySet<string>;
  faqIds?: ReadonlySet<string>;
  brokenFaqIds?: ReadonlySet<string>;
};

function crossCheck(flow: Flow, source: YamlSource, refs: Refs): Problem[] {
  const { flows, broken, faqIds, brokenFaqIds } = refs;
  const problems: Problem[] = [];
  const stepIds = Object.keys(flow.steps);
  const stepRef = (path: PathKey[], target: string) => {
    if (!flow.steps[target]) {
      problems.push(
        source.problem(
          path,
          'ref.step',
          `there is no step "${target}" in flow "${flow.id}"`,
          `use one of: ${stepIds.join(', ')}`,
        ),
      );
    }
  };
  const flowRef = (path: PathKey[], target: string) => {
    if (!flows.has(target) && !broken.has(target)) {
      problems.push(
        source.problem(
          path,
          'ref.flow',
          `there is no flow "${target}"`,
          `use one of: ${[...flows.keys()].join(', ')}, or add flows/${target}.yaml`,
        ),
      );
    }
  };
  const faqRef = (path: PathKey[], target: string) => {
    if (faqIds && !faqIds.has(target) && !brokenFaqIds?.has(target)) {
      problems.push(
        source.problem(
          path,
          'ref.faq',
          `there is no FAQ entry "${target}"`,
          `add data/faq/${target}.yaml or use an existing id`,
        ),
      );
    }
  };
  stepRef(['start'], flow.start);
  for (const [id, step] of Object.entries(flow.steps)) {
    const at = (...rest: PathKey[]) => ['steps', id, ...rest];
    switch (step.type) {
      case 'menu':
        step.options.forEach((o, i) => {
          if (o.next) stepRef(at('options', i, 'next'), o.next);
          if (o.flow) flowRef(at('options', i, 'flow'), o.flow);
          if (o.faq) faqRef(at('options', i, 'faq'), o.faq);
        });
        duplicates(step.options.map((o) => o.id)).forEach((dup) => {
          problems.push(
            source.problem(
              at('options'),
              'option.duplicate',
              `two options share the id "${dup}"`,
              'give each option its own id',
            ),
          );
        });
        break;
      case 'branch':
        for (const [value, target] of Object.entries(step.cases)) stepRef(at('cases', value), target);
        stepRef(at('default'), step.default);
        break;
      case 'goto':
        flowRef(at('flow'), step.flow);
        break;
      case 'faq':
        faqRef(at('faq'), step.faq);
        if (step.next) stepRef(at('next'), step.next);
        break;
      case 'end':
        break;
      default:
        stepRef(at('next'), step.next);
    }
  }
  const reachable = reachableSteps(flow);
  for (const id of stepIds) {
    if (!reachable.has(id)) {
      problems.push(
        source.problem(
          ['steps', id],
          'step.unreachable',
          `step "${id}" cannot be reached from the start of flow "${flow.id}"`,
          'point an option or a next at it, or remove it',
          'warning',
        ),
      );
    }
  }
  return problems;
}

/** The step ids a step can lead to inside its own flow. */
export function stepTargets(step: Step): string[] {
  switch (step.type) {
    case 'menu':
      return step.options.flatMap((o) => (o.next ? [o.next] : []));
    case 'branch':
      return [...Object.values(step.cases), step.default];
    case 'goto':
    case 'end':
      return [];
    case 'faq':
      return step.next ? [step.next] : [];
    default:
      return [step.next];
  }
}

export function reachableSteps(flow: Flow): Set<string> {
  const seen = new Set<string>();
  const queue = [flow.start];
  while (queue.length) {
    const id = queue.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const step = flow.steps[id];
    if (step) queue.push(...stepTargets(step));
  }
  return seen;
}

/**
 * Steps that go on by themselves (message, branch, goto, contacts, an FAQ with next) must never
 * come back round without a step that waits for the user: the bot would send messages forever.
 */
function cycleProblems(flows: Map<string, Flow>, sources: Map<string, YamlSource>): Problem[] {
  const key = (flow: string, step: string) => `${flow}:${step}`;
  const edges = new Map<string, string[]>();
  for (const [flowId, flow] of flows) {
    for (const [stepId, step] of Object.entries(flow.steps)) {
      const local = (targets: string[]) => targets.filter((t) => flow.steps[t]).map((t) => key(flowId, t));
      let next: string[] = [];
      switch (step.type) {
        case 'message':
        case 'contacts':
          next = local([step.next]);
          break;
        case 'faq':
          next = step.next ? local([step.next]) : [];
          break;
        case 'branch':
          next = local([...Object.values(step.cases), step.default]);
          break;
        case 'goto': {
          const target = flows.get(step.flow);
          next = target?.steps[target.start] ? [key(step.flow, target.start)] : [];
          break;
        }
        default:
          next = [];
      }
      edges.set(key(flowId, stepId), [...new Set(next)]);
    }
  }
  const problems: Problem[] = [];
  for (const cycle of findCycles(edges)) {
    const [flowId, stepId] = cycle[0]!.split(':') as [string, string];
    const source = sources.get(flowId);
    if (!source) continue;
    const name = (node: string) => (node.startsWith(`${flowId}:`) ? node.slice(flowId.length + 1) : node);
    const path = [...cycle, cycle[0]!].map(name).join(' → ');
    problems.push(
      source.problem(
        ['steps', stepId],
        'flow.cycle',
        `these steps lead into each other without waiting for the user, so the bot would send messages forever: ${path}`,
        'make one of them wait for the user (a menu or a question), or point its next out of the loop',
      ),
    );
  }
  return problems;
}

/** One cycle for each group of nodes that can reach each other (Tarjan's strongly connected components). */
function findCycles(edges: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  let counter = 0;
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
    } while (w !== v);
    const members = new Set(group);
    if (group.length > 1 || edges.get(v)?.includes(v))
      cycles.push(cycleThrough(group.sort()[0]!, members, edges));
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) visit(v);
  return cycles;
}

/** A walk from `start` back to itself inside one group, for the message. */
function cycleThrough(start: string, members: Set<string>, edges: Map<string, string[]>): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length) {
    const v = queue.shift()!;
    for (const w of edges.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(parent.get(path[0]!)!);
        return path;
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start];
}

function duplicates(values: string[]): string[] {
  return values.filter((v, i) => values.indexOf(v) !== i);
}
