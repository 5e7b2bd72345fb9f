import { loadRuns } from '../compare/compare.js';
import { compareTable, differingKeys, type LabelledRun } from '../compare/table.js';
import { readConfusion, readMetrics } from '../run/read.js';
import type { ReportData, ReportRun } from './html.js';
import { confidentMistakes, type TestLoader } from './mistakes.js';

export interface ReportOptions {
  paths: string[];
  cwd: string;
  title: string;
  now: Date;
  /** Misclassified digits shown per run. */
  mistakes: number;
  /** Score mistakes for at most this many runs: each reloads a model and the test images. */
  maxModelRuns: number;
  /** Where each run's test images come from; the data loader the trainer used unless a test says otherwise. */
  testImages?: TestLoader;
}

async function mistakesOf(
  run: LabelledRun,
  o: ReportOptions,
  i: number,
): Promise<Pick<ReportRun, 'mistakes' | 'note'>> {
  if (i >= o.maxModelRuns) return { note: `not scored: only the first ${o.maxModelRuns} runs are (--max-model-runs)` };
  try {
    return { mistakes: await confidentMistakes(run.record, o.mistakes, o.testImages) };
  } catch (err) {
    // An old run without a saved model, or whose data moved, still gets its curves and matrix.
    return { note: `no mistakes shown: ${(err as Error).message.split('\n')[0]}` };
  }
}

/** In words, why a run that did not complete stopped. */
function stopReason(r: LabelledRun['record']): string | undefined {
  if (r.status === 'crashed')
    return `its process (${r.meta?.pid ?? '?'} on ${r.meta?.host ?? '?'}) is gone; \`mnist-run resume ${r.dir}\` continues it`;
  return r.meta?.error;
}

/** Gathers everything the page shows; sequential per run so only one model is in memory at a time. */
export async function reportData(o: ReportOptions): Promise<ReportData> {
  const runs = await loadRuns(o.paths, o.cwd);
  const table = compareTable(runs, {});
  const out: ReportRun[] = [];
  for (const [i, run] of runs.entries()) {
    const r = run.record;
    out.push({
      label: run.label,
      dir: r.dir,
      status: r.status,
      ...(r.status !== 'completed' && { error: stopReason(r) }),
      config: r.config,
      metrics: (await readMetrics(r.dir)).epochs,
      confusion: await readConfusion(r.dir),
      ...(await mistakesOf(run, o, i)),
    });
  }
  return {
    title: o.title,
    generated: o.now.toISOString(),
    table,
    runs: out,
    differing: differingKeys(runs.map((r) => r.record.config)),
  };
}
