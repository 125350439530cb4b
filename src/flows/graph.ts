import type { Lang } from '../text/lang.js';
import type { Flow, Localized, Step } from './schema.js';

const TEXT_MAX = 48;

/**
 * A Mermaid flowchart of one flow: steps as nodes shaped by kind, options as labelled
 * edges, and jumps to other flows and FAQ entries as their own nodes.
 */
export function flowToMermaid(flow: Flow, lang: Lang = 'es'): string {
  const ids = new Map<string, string>();
  const nodeId = (key: string) => {
    let id = ids.get(key);
    if (!id) {
      id = `n${ids.size}`;
      ids.set(key, id);
    }
    return id;
  };
  const lines = ['flowchart TD'];
  const external = new Set<string>();
  const edge = (from: string, to: string, label?: string) =>
    lines.push(label ? `  ${from} -->|"${quote(label)}"| ${to}` : `  ${from} --> ${to}`);
  const toFlow = (id: string) => {
    const n = nodeId(`flow:${id}`);
    if (!external.has(n)) lines.push(`  ${n}[["flow: ${quote(id)}"]]`);
    external.add(n);
    return n;
  };
  const toFaq = (id: string) => {
    const n = nodeId(`faq:${id}`);
    if (!external.has(n)) lines.push(`  ${n}[("FAQ: ${quote(id)}")]`);
    external.add(n);
    return n;
  };
  lines.push(`  start((start)) --> ${nodeId(flow.start)}`);
  for (const [stepId, step] of Object.entries(flow.steps)) {
    const me = nodeId(stepId);
    lines.push(`  ${me}${shape(step, `${stepId}: ${summary(step, lang)}`)}`);
    switch (step.type) {
      case 'menu':
        for (const o of step.options) {
          const target = o.next ? nodeId(o.next) : o.flow ? toFlow(o.flow) : toFaq(o.faq!);
          edge(me, target, `${o.id}: ${o.label[lang]}`);
        }
        break;
      case 'branch':
        for (const [value, target] of Object.entries(step.cases))
          edge(me, nodeId(target), value ? `${step.var} = "${value}"` : `${step.var} not set`);
        edge(me, nodeId(step.default), 'otherwise');
        break;
      case 'goto':
        edge(me, toFlow(step.flow));
        break;
      case 'faq':
        edge(me, toFaq(step.faq));
        if (step.next) edge(me, nodeId(step.next));
        break;
      case 'end':
        break;
      default:
        edge(me, nodeId(step.next));
    }
  }
  return `${lines.join('\n')}\n`;
}

function summary(step: Step, lang: Lang): string {
  const text = 'text' in step && step.text ? (step.text as Localized)[lang] : '';
  switch (step.type) {
    case 'question':
      return `asks → ${step.var}: ${cut(text)}`;
    case 'branch':
      return `by ${step.var}`;
    case 'goto':
      return `go to ${step.flow}`;
    case 'faq':
      return `answer ${step.faq}`;
    case 'contacts':
      return 'country contacts';
    default:
      return cut(text) || step.type;
  }
}

function shape(step: Step, label: string): string {
  const l = quote(label);
  switch (step.type) {
    case 'menu':
      return `{{"${l}"}}`;
    case 'branch':
      return `{"${l}"}`;
    case 'question':
      return `[/"${l}"/]`;
    case 'end':
      return `(["${l}"])`;
    default:
      return `["${l}"]`;
  }
}

function cut(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > TEXT_MAX ? `${one.slice(0, TEXT_MAX - 1)}…` : one;
}

/** Mermaid labels are quoted; quotes and angle brackets inside become entities. */
function quote(text: string): string {
  return text.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}
