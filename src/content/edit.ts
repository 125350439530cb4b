import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Document, isMap, isScalar, isSeq, Pair, parseDocument, Scalar, type YAMLMap } from 'yaml';
import { LOCALE_REVIEW_KEY } from '../i18n/locales.js';
import type { Lang } from '../text/lang.js';
import type { Review } from './review-schema.js';
import { type ContentDoc, FLOW_PREFIX } from './texts.js';

/** A text to write, or a review to record (null clears it), in one document and language. */
export type Edit =
  | { type: 'text'; doc: ContentDoc; lang: Lang; field: string; value: string }
  | { type: 'review'; doc: ContentDoc; lang: Lang; review: Review | null };

/**
 * Applies edits to the content files in memory and returns each changed file's new text, by
 * path relative to the root. YAML goes through the yaml library's Document API, so comments and
 * the layout of everything else are kept; JSON keeps its key order and two-space indentation.
 * A changed text always loses its review: someone has to check it again.
 */
export function applyEdits(root: string, edits: readonly Edit[]): Map<string, string> {
  const yamlDocs = new Map<string, { doc: Document; padded: boolean }>();
  const jsonDocs = new Map<string, Record<string, unknown>>();
  const yamlOf = (file: string) => {
    let d = yamlDocs.get(file);
    if (!d) {
      const text = readFileSync(join(root, file), 'utf8');
      // Files here write flow maps as "{ a: b }" and lists as "[a, b]"; keep what the file does.
      d = { doc: parseDocument(text), padded: /\{ \S/.test(text) };
      yamlDocs.set(file, d);
    }
    return d.doc;
  };
  const jsonOf = (file: string) => {
    let d = jsonDocs.get(file);
    if (!d) {
      d = JSON.parse(readFileSync(join(root, file), 'utf8')) as Record<string, unknown>;
      jsonDocs.set(file, d);
    }
    return d;
  };

  for (const edit of edits) {
    const { doc: item, lang } = edit;
    const file = item.file(lang);
    if (item.kind === 'locale') {
      const data = jsonOf(file);
      if (edit.type === 'text') {
        setJson(data, edit.field.split('.'), edit.value);
        delete data[LOCALE_REVIEW_KEY];
      } else if (edit.review) {
        const { [LOCALE_REVIEW_KEY]: _old, ...rest } = data;
        for (const k of Object.keys(data)) delete data[k];
        Object.assign(data, { [LOCALE_REVIEW_KEY]: { ...edit.review } }, rest);
      } else delete data[LOCALE_REVIEW_KEY];
      continue;
    }
    const doc = yamlOf(file);
    const reviewPath = item.kind === 'faq' ? [lang, 'reviewed'] : ['reviewed', lang];
    if (edit.type === 'text') {
      setScalar(doc, textPath(doc, item, lang, edit.field), edit.value);
      clearReview(doc, reviewPath);
    } else if (edit.review) {
      setReview(doc, item, lang, edit.review);
    } else clearReview(doc, reviewPath);
  }

  const out = new Map<string, string>();
  for (const [file, { doc, padded }] of yamlDocs) {
    out.set(file, doc.toString({ lineWidth: 0, flowCollectionPadding: padded }));
  }
  for (const [file, data] of jsonDocs) out.set(file, `${JSON.stringify(data, null, 2)}\n`);
  return out;
}

/** Writes each file by write-then-rename, so that a reader never sees half a file. */
export function writeFiles(root: string, files: Map<string, string>): void {
  for (const [file, text] of files) {
    const path = join(root, file);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  }
}

/** Where a field's text is in its YAML file. */
function textPath(doc: Document, item: ContentDoc, lang: Lang, field: string): Array<string | number> {
  if (item.kind === 'faq') return [lang, field];
  if (!item.id.startsWith(FLOW_PREFIX)) throw new Error(`not a flow: ${item.id}`);
  const parts = field.split('.');
  // steps.<step>.text, or steps.<step>.options.<option id>.label
  if (parts.length === 3 && parts[2] === 'text') return ['steps', parts[1]!, 'text', lang];
  if (parts.length === 5 && parts[2] === 'options' && parts[4] === 'label') {
    const options = doc.getIn(['steps', parts[1]!, 'options']);
    if (isSeq(options)) {
      const i = options.items.findIndex((o) => isMap(o) && String(o.get('id')) === parts[3]);
      if (i >= 0) return ['steps', parts[1]!, 'options', i, 'label', lang];
    }
  }
  throw new Error(`no field ${field} in ${item.id}`);
}

function setScalar(doc: Document, path: Array<string | number>, value: string): void {
  const node = doc.getIn(path, true);
  if (isScalar(node)) {
    const block = node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED;
    const old = String(node.value);
    // A block keeps its final line break, so that "|" stays "|" and not "|-".
    node.value = block && old.endsWith('\n') && !value.endsWith('\n') ? `${value}\n` : value;
    if (!block && value.includes('\n')) node.type = Scalar.BLOCK_LITERAL;
    return;
  }
  doc.setIn(path, value);
}

function clearReview(doc: Document, path: Array<string | number>): void {
  if (!doc.hasIn(path)) return;
  doc.deleteIn(path);
  // An emptied "reviewed:" map of a flow goes too.
  const parent = doc.getIn(path.slice(0, -1), true);
  if (path[0] === 'reviewed' && isMap(parent) && parent.items.length === 0) doc.deleteIn(path.slice(0, -1));
}

function setReview(doc: Document, item: ContentDoc, lang: Lang, review: Review): void {
  const node = doc.createNode({ by: review.by, on: review.on, source: review.source }) as YAMLMap;
  node.flow = true;
  if (item.kind === 'faq') {
    doc.setIn([lang, 'reviewed'], node);
    return;
  }
  const top = doc.contents;
  if (!isMap(top)) throw new Error(`${item.id} is not a map`);
  const found: unknown = top.get('reviewed', true);
  let reviewed: YAMLMap;
  if (isMap(found)) reviewed = found;
  else {
    reviewed = doc.createNode({}) as YAMLMap;
    // Near the top of the flow, after its start step, where a reader looks first.
    const at = top.items.findIndex((p) => isScalar(p.key) && p.key.value === 'start');
    top.items.splice(at + 1, 0, new Pair(new Scalar('reviewed'), reviewed));
  }
  reviewed.set(lang, node);
}

function setJson(data: Record<string, unknown>, path: string[], value: string): void {
  let node: Record<string, unknown> = data;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (!next || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[path.at(-1)!] = value;
}
