/** A location inside a config: keys of maps and indices of lists. */
export type Path = (string | number)[];

/** `model.layers[1].units` from ['model', 'layers', 1, 'units']: how a reader points at a YAML node. */
export function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)),
    '',
  );
}

/** The inverse of pathText: `model.layers[1].units` to ['model', 'layers', 1, 'units']. */
export function parsePathText(text: string): Path {
  const path: Path = [];
  for (const m of text.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) path.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
  return path;
}

export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

export const isPrefix = (prefix: Path, path: Path) =>
  prefix.length <= path.length && prefix.every((k, i) => k === path[i]);

function flow(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(flow).join(', ')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}: ${flow(x)}`)
      .join(', ')}}`;
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

/** A value as a user wrote it, short: `-3`, `"relux"`, `[3, 3, 3]`, `{split: 1.5}`; `nothing` when absent. */
export function showValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  const text = flow(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
