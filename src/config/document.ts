import { type Document, isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { Path } from './paths.js';

/** A YAML file kept with its node positions, so any config path can be turned into line:col. */
export interface YamlFile {
  doc: Document;
  lines: LineCounter;
  /** Syntax errors, each with its position: the file cannot be used when there is any. */
  errors: { line: number; col: number; message: string }[];
}

export function parseYaml(text: string): YamlFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const errors = doc.errors.map((e) => ({
    ...lines.linePos(e.pos[0]),
    message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
  }));
  return { doc, lines, errors };
}

/** The node at `path` (a map's value, a list's item; with `atKey`, a map entry's key), or undefined where the file has none. */
function nodeAt(doc: Document, path: Path, atKey: boolean): Node | undefined {
  let node: unknown = doc.contents;
  for (const [i, key] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
      if (!pair) return undefined;
      // `units:` with nothing after it has no value node: point at the key.
      node = (atKey && i === path.length - 1) || !pair.value ? pair.key : pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
    } else {
      return undefined;
    }
  }
  return node as Node | undefined;
}

/** `line:col` of the node at `path`, or undefined when the file has no node there. */
export function positionOf(file: YamlFile, path: Path, atKey = false): string | undefined {
  const range = nodeAt(file.doc, path, atKey)?.range;
  if (!range) return undefined;
  const { line, col } = file.lines.linePos(range[0]);
  return `${line}:${col}`;
}

/** `line:col` of the deepest node along `path` the file has (a missing key points at its parent map). */
export function nearestPosition(file: YamlFile, path: Path): string {
  for (let n = path.length; n >= 0; n--) {
    const at = positionOf(file, path.slice(0, n));
    if (at) return at;
  }
  return '1:1';
}
