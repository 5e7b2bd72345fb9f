import { BACKEND_NAMES, type BackendName } from './names.js';
import { type BackendContext, defaultBackendContext, type LoadResult, probeBackend } from './select.js';

export interface Diagnosis {
  backends: ({ name: BackendName } & LoadResult)[];
  auto: BackendName | null;
}

/** Probes every backend in `auto`'s order. */
export async function diagnose(ctx: BackendContext = defaultBackendContext): Promise<Diagnosis> {
  const backends: Diagnosis['backends'] = [];
  for (const name of BACKEND_NAMES) backends.push({ name, ...(await probeBackend(name, ctx)) });
  return { backends, auto: backends.find((b) => b.ok)?.name ?? null };
}

export function formatDiagnosis(d: Diagnosis): string {
  const lines = d.backends.map((b) =>
    b.ok
      ? `  ok    ${b.name.padEnd(15)} ${b.device}, ${b.threads} thread${b.threads === 1 ? '' : 's'}`
      : `  no    ${b.name.padEnd(15)} ${b.reason}\n${' '.repeat(24)}fix: ${b.fix}`,
  );
  return ['backends (fastest first):', ...lines, `auto picks: ${d.auto ?? 'none'}`].join('\n');
}
