import { parse, stringify } from 'yaml';
import { makeRng, shuffledIndices } from '../util/random.js';
import type { Axis, Overrides, SweepSpec } from './schema.js';

/** One run to make: a readable label and the overrides (in order) that turn the base into it. */
export interface Point {
  label: string;
  overrides: Overrides;
}

/** A value as it reads on a command line and in labels: YAML flow style, strings bare when that is unambiguous. */
export function valueText(value: unknown): string {
  if (typeof value === 'string') return parse(value) === value && value !== '' ? value : JSON.stringify(value);
  return stringify(value, { collectionStyle: 'flow', lineWidth: 0 }).trim();
}

/** `--set` arguments for an override set, in insertion order. */
export function overrideArgs(o: Overrides): string[] {
  return Object.entries(o).map(([path, value]) => `${path}=${valueText(value)}`);
}

/** One axis as labelled override sets: a list of values for a path, or named sets as written. */
function axisPoints(name: string, axis: Axis): Point[] {
  if (Array.isArray(axis)) return axis.map((v) => ({ label: `${name}=${valueText(v)}`, overrides: { [name]: v } }));
  return Object.entries(axis).map(([key, o]) => ({ label: `${name}=${key}`, overrides: o }));
}

export function gridSize(grid: NonNullable<SweepSpec['grid']>): number {
  return Object.values(grid).reduce<number>((n, a) => n * (Array.isArray(a) ? a.length : Object.keys(a).length), 1);
}

/** Cartesian product; the last axis varies fastest, as in nested loops written in file order. */
export function gridPoints(grid: NonNullable<SweepSpec['grid']>): Point[] {
  let points: Point[] = [{ label: '', overrides: {} }];
  for (const [name, axis] of Object.entries(grid)) {
    const values = axisPoints(name, axis);
    points = points.flatMap((p) =>
      values.map((v) => ({
        label: p.label ? `${p.label} ${v.label}` : v.label,
        overrides: { ...p.overrides, ...v.overrides },
      })),
    );
  }
  return points;
}

/** `count` points drawn without replacement by a seeded shuffle, kept in grid order so plans read naturally. */
export function samplePoints<T>(points: T[], count: number, seed: number): T[] {
  const picked = Array.from(shuffledIndices(points.length, makeRng(seed)).subarray(0, count)).sort((a, b) => a - b);
  return picked.map((i) => points[i]!);
}

export function seedList(seeds: SweepSpec['seeds']): number[] | undefined {
  if (seeds === undefined) return undefined;
  return typeof seeds === 'number' ? Array.from({ length: seeds }, (_, i) => i + 1) : seeds;
}

/**
 * Every run of a sweep: the grid (or its sample) then the variants, each replicated per seed. The
 * sweep's `set` comes first so a point's own overrides win. No grid and no variants: the base alone.
 */
export function expandSweep(spec: SweepSpec): Point[] {
  const grid = spec.grid ? gridPoints(spec.grid) : [];
  const sampled = spec.random ? samplePoints(grid, spec.random.count, spec.random.seed) : grid;
  const variants = Object.entries(spec.variants ?? {}).map(([name, o]) => ({ label: name, overrides: o }));
  const points = [...sampled, ...variants];
  if (points.length === 0) points.push({ label: 'base', overrides: {} });
  const seeds = seedList(spec.seeds);
  const withSet = (p: Point): Point => ({ label: p.label, overrides: { ...spec.set, ...p.overrides } });
  if (!seeds) return points.map(withSet);
  return points.flatMap((p) =>
    seeds.map((seed) => withSet({ label: `${p.label} seed=${seed}`, overrides: { ...p.overrides, seed } })),
  );
}
