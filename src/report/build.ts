import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadRuns } from '../compare/compare.js';
import { modelTexts, optimizerText } from '../compare/fold.js';
import { configColumns, differingKeys, type LabelledRun } from '../compare/table.js';
import { RUN_FILES } from '../output-files.js';
import { readConfusion, readMetrics } from '../run/read.js';
import { uplotAssets } from './charts.js';
import type { ReportData, ReportRun } from './html.js';
import { confidentMistakes, type TestLoader } from './mistakes.js';

export interface ReportOptions {
  paths: string[];
  cwd: string;
  title: string;
  now: Date;
  /** Misclassified digits shown per run. */
  mistakes: number;
  /** Where each run's test images come from; the data loader the trainer used unless a test says otherwise. */
  testImages?: TestLoader;
}

async function mistakesOf(run: LabelledRun, o: ReportOptions): Promise<Pick<ReportRun, 'mistakes' | 'note'>> {
  try {
    return { mistakes: await confidentMistakes(run.record, o.mistakes, o.testImages) };
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code === 'ENOENT' &&
      (err as NodeJS.ErrnoException).path?.endsWith(RUN_FILES.probabilities)
    )
      return {
        note: `no mistakes shown: this run has no ${RUN_FILES.probabilities} (runs trained by older versions of mnist-run do not write it)`,
      };
    // Data that moved still leaves the curves and the matrix.
    return { note: `no mistakes shown: ${(err as Error).message.split('\n')[0]}` };
  }
}

/** In words, why a run that did not complete stopped. */
function stopReason(r: LabelledRun['record']): string | undefined {
  if (r.status === 'crashed')
    return `its process (${r.meta?.pid ?? '?'} on ${r.meta?.host ?? '?'}) is gone; \`mnist-run resume ${r.dir}\` continues it`;
  return r.meta?.error;
}

async function runData(run: LabelledRun, o: ReportOptions, model: string | undefined): Promise<ReportRun> {
  const r = run.record;
  return {
    label: run.label,
    dir: r.dir,
    status: r.status,
    record: r,
    ...(r.status !== 'completed' && { error: stopReason(r) }),
    // The folded columns compare shows: `adam(lr=0.001)`, not five optimizer.* keys.
    config: { ...r.config, optimizer: optimizerText(r.config), model },
    configText: await readFile(join(r.dir, RUN_FILES.resolvedConfig), 'utf8').catch(() => undefined),
    metrics: (await readMetrics(r.dir)).epochs,
    confusion: await readConfusion(r.dir),
    ...(await mistakesOf(run, o)),
  };
}

/** Gathers everything the page shows, from files only: no model is loaded, so no tfjs. */
export async function reportData(o: ReportOptions): Promise<ReportData> {
  const runs = await loadRuns(o.paths, o.cwd);
  const out: ReportRun[] = [];
  const configs = runs.map((r) => r.record.config);
  const models = modelTexts(configs);
  for (const [i, run] of runs.entries()) out.push(await runData(run, o, models[i])); // one run's test images in memory at a time
  return {
    title: o.title,
    generated: o.now.toISOString(),
    runs: out,
    // As compare folds them; tags and notes are shown in each run's section instead.
    differing: configColumns(differingKeys(configs)).shown,
    assets: await uplotAssets(),
  };
}
