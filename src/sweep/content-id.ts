import { createHash } from 'node:crypto';

export interface RunIdentity {
  /** config.resolved.yaml: defaults filled and overrides applied, so equal configs hash equal however written. */
  resolvedYaml: string;
  dataSha256: string[];
  /** Package version and git commit: the same config under other code is another run. */
  codeVersion: string;
}

/** A run's name inside a sweep: 16 hex of a sha256 over what determines its result. */
export function contentId(r: RunIdentity): string {
  // biome-ignore lint/suspicious/useArraySortCompare: code-unit order is part of every existing content id
  const canonical = JSON.stringify({ config: r.resolvedYaml, data: [...r.dataSha256].sort(), code: r.codeVersion });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

export function codeVersion(pkgVersion: string, commit: string | null): string {
  return commit ? `${pkgVersion}+${commit}` : pkgVersion;
}
