import {
  type Alias,
  type Document,
  isAlias,
  isCollection,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  visit,
} from 'yaml';
import type { Path } from './paths.js';

/** A YAML file kept with its node positions, so any config path can be turned into line:col. */
export interface YamlFile {
  doc: Document;
  lines: LineCounter;
  /** Syntax errors, each with its position: the file cannot be used when there is any. */
  errors: { line: number; col: number; message: string }[];
}

type Located = YamlFile['errors'][number];

/**
 * Parses a YAML file and converts it to plain data. Every problem, of syntax or of what the data
 * would be (an alias without its anchor, an alias bomb, a merge of a non-map, a list as a key), is
 * one located error; `data` is undefined when there is any. YAML 1.1's typed tags (!!binary,
 * !!set, !!timestamp) stay strings: a config holds maps, lists, strings, numbers and booleans.
 */
export function parseYaml(text: string, opts: { merge?: boolean } = {}): YamlFile & { data: unknown } {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    resolveKnownTags: false,
    merge: opts.merge ?? false,
  });
  const errors = doc.errors.map((e) => ({
    ...lines.linePos(e.pos[0]),
    message:
      e.code === 'MULTIPLE_DOCS' ? MULTIPLE_DOCS : e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
  }));
  const at = (node: Node | undefined, message: string): Located => ({
    ...lines.linePos(node?.range?.[0] ?? 0),
    message,
  });
  if (!errors.length) errors.push(...structureErrors(doc, at));
  if (errors.length) return { doc, lines, errors, data: undefined };
  try {
    return { doc, lines, errors, data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (err) {
    if (!(err instanceof ReferenceError && /Excessive alias count/.test(err.message))) throw err;
    return { doc, lines, errors: [aliasBomb(doc, at)], data: undefined };
  }
}

const MULTIPLE_DOCS =
  'the file holds a second YAML document (after a --- line); a config is one document: remove the ---, or split it in two files';

/** yaml's own default: how many values aliases may expand to, per anchor, before it calls the file an attack. */
const MAX_ALIAS_COUNT = 100;

/** What toJS would throw for, found first so that each has a place. */
function structureErrors(doc: Document, at: (n: Node | undefined, m: string) => Located): Located[] {
  const found: Located[] = [];
  visit(doc, {
    Alias: (_, node) => {
      const source = node.resolve(doc) as Node | undefined;
      if (source && contains(source, node))
        found.push(
          at(
            node,
            `alias *${node.source} is inside its own anchor &${node.source}: the value would contain itself; write it out`,
          ),
        );
      if (!source)
        found.push(
          at(
            node,
            `alias *${node.source} has no anchor &${node.source} before it; define the anchor first or write the value out`,
          ),
        );
    },
    Pair: (_, pair) => {
      const key = pair.key as Node | null;
      if (isCollection(key)) found.push(at(key, 'a key must be a plain name, not a list or a map'));
      if (isScalar(key) && typeof key.value === 'symbol' && key.value.description === '<<') {
        const value = resolved(doc, pair.value as Node | null);
        const sources = isSeq(value) ? value.items.map((v) => resolved(doc, v as Node)) : [value];
        if (!sources.every(isMap))
          found.push(
            at(
              pair.value as Node,
              'a merge key (<<) takes a map or an alias of one (<<: *defaults), or a list of them',
            ),
          );
      }
    },
  });
  return found;
}

/** Whether `node` is `inner` or holds it: an alias inside its anchor makes a value that contains itself. */
function contains(node: Node, inner: Node): boolean {
  let found = false;
  visit(node, {
    Node: (_, n) => {
      if (n === inner) found = true;
      return found ? visit.BREAK : undefined;
    },
  });
  return found;
}

/** The node an alias stands for (the node itself when it is none). */
const resolved = (doc: Document, node: Node | null | undefined): Node | null | undefined =>
  isAlias(node) ? (node.resolve(doc) as Node | undefined) : node;

/** The anchor used most: where an alias bomb (a billion laughs) is built. */
function aliasBomb(doc: Document, at: (n: Node | undefined, m: string) => Located): Located {
  const uses = new Map<string, Alias[]>();
  visit(doc, {
    Alias: (_, node) => {
      uses.set(node.source, [...(uses.get(node.source) ?? []), node]);
    },
  });
  const [name, aliases] = [...uses].sort((a, b) => b[1].length - a[1].length)[0] ?? ['?', []];
  return at(
    aliases[0],
    `the aliases expand to more than ${MAX_ALIAS_COUNT} copies (*${name} alone is used ${aliases.length} times, ` +
      'of values that hold aliases themselves); a config this size needs no anchors: write the values out',
  );
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
