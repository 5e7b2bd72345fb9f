import type { Paint } from '../colour.js';
import { formatBytes } from '../util/bytes.js';
import { BACKEND_NAMES, type BackendName } from './names.js';
import {
  type AdapterSummary,
  type BackendContext,
  defaultBackendContext,
  type LoadResult,
  probeBackend,
} from './select.js';

export interface Diagnosis {
  backends: ({ name: BackendName } & LoadResult)[];
  /** Every GPU adapter Dawn sees, software ones included (marked). */
  adapters: AdapterSummary[];
  auto: BackendName | null;
}

/** Probes every backend in `auto`'s order, as `auto` would: a software GPU adapter does not count. */
export async function diagnose(ctx: BackendContext = defaultBackendContext): Promise<Diagnosis> {
  const backends: Diagnosis['backends'] = [];
  for (const name of BACKEND_NAMES) backends.push({ name, ...(await probeBackend(name, ctx)) });
  const adapters = backends.flatMap((b) => b.adapters ?? []);
  return { backends, adapters, auto: backends.find((b) => b.ok)?.name ?? null };
}

function formatAdapter(a: AdapterSummary): string {
  const kind = a.software ? 'software (a CPU emulating a GPU: never picked by auto)' : 'hardware';
  return [
    `  ${a.name} [${kind}]`,
    `      vendor ${a.vendor || '?'}, architecture ${a.architecture || '?'}, device ${a.device || '?'}, via ${a.api}`,
    `      driver: ${a.description || '?'}; largest buffer ${formatBytes(a.maxStorageBufferBindingSize)}`,
  ].join('\n');
}

/** The report as text; `paint` (colour.ts's painter for the output stream) greens the backends that load. */
export function formatDiagnosis(d: Diagnosis, paint: Paint = (_s, t) => t): string {
  const lines = d.backends.map((b) =>
    b.ok
      ? paint('green', `  ok    ${b.name.padEnd(15)} ${b.device}, ${b.threads} thread${b.threads === 1 ? '' : 's'}`)
      : `  no    ${b.name.padEnd(15)} ${b.reason}\n${' '.repeat(24)}fix: ${b.fix}`,
  );
  const adapters = d.adapters.length
    ? ['GPU adapters (Dawn, for webgpu):', ...d.adapters.map(formatAdapter)]
    : ['GPU adapters (Dawn, for webgpu): none seen'];
  const notes =
    d.auto === 'webgpu' || d.auto === 'tensorflow-gpu'
      ? [
          'note: a GPU pays a fixed cost per step; for small models (configs/ann*.yaml) a CPU backend can be faster.',
          '      `mnist-run bench` measures each backend on this machine.',
        ]
      : [];
  return ['backends (fastest first):', ...lines, ...adapters, `auto picks: ${d.auto ?? 'none'}`, ...notes].join('\n');
}
