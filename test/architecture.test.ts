import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The import graph of src/, static and dynamic imports alike: which way the arrows point is a
 * property of the code base, so it is tested like one. Imports point down:
 * cli → sweep/report/compare → run → train → model → config/data → accelerated. Model, train,
 * config and data name no backend: backends sit beside run, which chooses one (backend/select.ts),
 * and each registers its kernels into src/accelerated/, the surface the layers call.
 */
const SRC = resolve(import.meta.dirname, '..', 'src');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** file (relative to src/) → the src files it imports (relative to src/). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const specifier = /(?:\bfrom\s+|\bimport\s*\(\s*|^\s*import\s+)'(\.{1,2}\/[^']+)'/gm;
  for (const file of sources(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(specifier)].map((m) =>
      relative(SRC, resolve(dirname(file), m[1]!)).replace(/\.js$/, '.ts'),
    );
    graph.set(relative(SRC, file), [...new Set(targets)]);
  }
  return graph;
}

/** The layer a file belongs to: its first folder under src/ (backends by their own folder). */
function layer(file: string): string {
  const parts = file.split('/');
  if (parts[0] === 'backend' && parts.length > 2) return `backend/${parts[1]}`;
  return parts.length > 1 ? parts[0]! : 'leaf';
}

/** Lower numbers sit lower; a file may import its own layer or a lower one, not a sibling of the same rank. */
const RANK: Record<string, number> = {
  leaf: 0, // errors.ts, log.ts, output-files.ts
  util: 0,
  accelerated: 1, // the backend-neutral surface the model layers call; backends register into it
  config: 3,
  data: 4,
  augment: 4,
  model: 5,
  train: 6,
  specificBackend: 6.5, // backend/onednn, backend/wasm, backend/webgpu: implement the surface, never imported by name
  backend: 6.6, // names, select, doctor: choosing and loading a backend, for a run or a command
  run: 7,
  bench: 7.5, // timing a config's training steps; sweep --dry-run calibrates with it
  sweep: 8,
  remote: 8.2, // a sweep's runs on other machines: the queue's coordinator and worker (built on sweep)
  compare: 8.5, // reads run folders and sweep folders (src/sweep/format.ts)
  report: 9, // draws compare's tables
  predict: 9, // a saved run's model on new images or another test set
  cli: 10,
};
/** Specific backends: imported only by the backend chooser (src/backend/select.ts) and by themselves. */
const SPECIFIC_BACKEND = /^backend\/(onednn|wasm|webgpu)/;

const graph = importGraph();
const edges = [...graph].flatMap(([from, tos]) => tos.map((to) => ({ from, to })));

describe('the import graph of src/', () => {
  it('is read: every relative import resolves to a source file', () => {
    expect(edges.length).toBeGreaterThan(200);
    expect(edges.filter((e) => !graph.has(e.to))).toEqual([]);
  });

  it('has a rank for every layer', () => {
    const layers = [...new Set([...graph.keys()].map(layer))].filter((l) => !SPECIFIC_BACKEND.test(l));
    expect(layers.filter((l) => RANK[l] === undefined)).toEqual([]);
  });

  it('points down: no file imports a higher layer or a sibling', () => {
    const rank = (f: string) => RANK[SPECIFIC_BACKEND.test(layer(f)) ? 'specificBackend' : layer(f)]!;
    const up = edges
      .filter((e) => rank(e.to) > rank(e.from) || (rank(e.to) === rank(e.from) && layer(e.to) !== layer(e.from)))
      .filter((e) => !(SPECIFIC_BACKEND.test(layer(e.from)) && SPECIFIC_BACKEND.test(layer(e.to))))
      .map((e) => `${e.from} → ${e.to}`);
    expect(up).toEqual([]);
  });

  it('reaches a specific backend only through the backend chooser', () => {
    const byName = edges
      .filter((e) => SPECIFIC_BACKEND.test(e.to) && layer(e.from) !== layer(e.to) && e.from !== 'backend/select.ts')
      .map((e) => `${e.from} → ${e.to}`);
    expect(byName).toEqual([]);
  });

  it('has no cycle between layers', () => {
    const between = new Map<string, Set<string>>();
    for (const e of edges) {
      if (layer(e.from) === layer(e.to)) continue;
      between.set(layer(e.from), (between.get(layer(e.from)) ?? new Set()).add(layer(e.to)));
    }
    const reaches = (from: string, to: string, seen = new Set<string>()): boolean => {
      for (const next of between.get(from) ?? []) {
        if (next === to) return true;
        if (seen.has(next)) continue;
        seen.add(next);
        if (reaches(next, to, seen)) return true;
      }
      return false;
    };
    const mutual = [...between].flatMap(([a, tos]) => [...tos].filter((b) => reaches(b, a)).map((b) => `${a} ⇄ ${b}`));
    expect(mutual).toEqual([]);
  });

  it('has no cycle between files', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const walk = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
        return;
      }
      state.set(file, 'open');
      for (const to of graph.get(file) ?? []) walk(to, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) walk(file, []);
    expect(cycles).toEqual([]);
  });
});
