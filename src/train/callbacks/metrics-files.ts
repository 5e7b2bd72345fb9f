import { appendFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RUN_FILES } from '../../output-files.js';
import { writeFileAtomic } from '../../util/fs.js';
import type { Callback, EpochLogs } from './types.js';

export function epochRecord(l: EpochLogs): Record<string, number> {
  return { epoch: l.epoch, ...l.metrics, seconds: l.seconds, samples_per_second: l.samplesPerSecond };
}

/** CSV of the epoch records; columns from the first record, so every row has the same ones. */
export function historyCsv(history: EpochLogs[]): string {
  const rows = history.map(epochRecord);
  const cols = Object.keys(rows[0] ?? { epoch: 0 });
  return `${[cols.join(','), ...rows.map((r) => cols.map((c) => String(r[c] ?? '')).join(','))].join('\n')}\n`;
}

/**
 * Where the per-epoch files go and how a metrics.jsonl line is written. The line's format (its
 * schema and formatVersion, src/run/format.ts) belongs to the run folder, above train: the run passes it down.
 */
export interface MetricsFiles {
  runDir: string;
  line: (record: Record<string, number>) => string;
}

/**
 * Appends one JSON line per epoch to metrics.jsonl (so a crash keeps every finished epoch) and
 * rewrites history.csv atomically after each epoch.
 */
export function metricsFilesCallback({ runDir, line }: MetricsFiles): Callback {
  let history: EpochLogs[] = [];
  return {
    /**
     * A resumed run: both files say exactly the epochs its checkpoint holds. An epoch the stopped
     * process appended after its last checkpoint is trained again, so its line goes.
     */
    onTrainBegin: async ({ resumed }) => {
      if (!resumed) return;
      history = [...resumed];
      await writeFileAtomic(join(runDir, RUN_FILES.metrics), history.map((h) => line(epochRecord(h))).join(''));
      if (history.length) await writeFileAtomic(join(runDir, RUN_FILES.history), historyCsv(history));
      else await rm(join(runDir, RUN_FILES.history), { force: true });
    },
    onEpochEnd: async (logs) => {
      history.push(logs);
      await appendFile(join(runDir, RUN_FILES.metrics), line(epochRecord(logs)));
      await writeFileAtomic(join(runDir, RUN_FILES.history), historyCsv(history));
    },
  };
}
