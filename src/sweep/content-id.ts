import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import { toYaml } from '../config/load.js';

export interface RunIdentity {
  /** config.resolved.yaml: defaults filled and overrides applied, so equal configs hash equal however written. */
  resolvedYaml: string;
  dataSha256: string[];
  /** Package version and git commit: the same config under other code is another run. */
  codeVersion: string;
}

/** A run's name inside a sweep: 16 hex of a sha256 over what determines its result. */
export function contentId(r: RunIdentity): string {
  const config = withoutMetadata(r.resolvedYaml);
  // biome-ignore lint/suspicious/useArraySortCompare: code-unit order is part of every existing content id
  const canonical = JSON.stringify({ config, data: [...r.dataSha256].sort(), code: r.codeVersion });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

export function codeVersion(pkgVersion: string, commit: string | null): string {
  return commit ? `${pkgVersion}+${commit}` : pkgVersion;
}

/** Config keys that label a run and never change what it computes: editing them must not rerun a sweep. */
const METADATA_KEYS = ['tags', 'notes'];

/** The resolved YAML without tags and notes; as written when it has neither, so every earlier id stays. */
function withoutMetadata(resolvedYaml: string): string {
  const config = parse(resolvedYaml) as Record<string, unknown> | null;
  if (!config || typeof config !== 'object' || !METADATA_KEYS.some((k) => k in config)) return resolvedYaml;
  return toYaml(Object.fromEntries(Object.entries(config).filter(([k]) => !METADATA_KEYS.includes(k))));
}
