import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { DivergedError } from '../errors.js';
import type { ModelSummary } from '../model/summary.js';
import { RUN_FILES } from '../output-files.js';
import type { LabelFormat, Samples } from '../train/batches.js';
import type { EpochLogs } from '../train/callbacks/types.js';
import { scoreSamples } from '../train/evaluate.js';
import { writeFileAtomic } from '../util/fs.js';
import { FORMAT_VERSION, formatJson, type RunSummary, SummarySchema } from './format.js';
import {
  accuracyOf,
  confusionCsv,
  confusionMatrix,
  predictedFrom,
  predictionsCsv,
  probabilitiesCsv,
} from './results.js';

interface Shared {
  sampleShape: number[];
  numClasses: number;
  labelFormat: LabelFormat;
  metricNames: string[];
  batchSize: number;
}

/** The epoch with the best validation loss, or training loss without validation. */
function bestEpoch(history: EpochLogs[]): number {
  const key = history[0]?.metrics.val_loss !== undefined ? 'val_loss' : 'loss';
  let best = history[0];
  for (const h of history) if ((h.metrics[key] ?? Infinity) < (best?.metrics[key] ?? Infinity)) best = h;
  return best?.epoch ?? 0;
}

/**
 * Test-set evaluation and the files derived from it: predictions, confusion matrix, summary. One
 * forward pass gives both the test metrics and the predictions.
 */
export async function writeResults(r: {
  runDir: string;
  model: tf.LayersModel;
  test: Samples;
  history: EpochLogs[];
  shared: Shared;
  params: ModelSummary;
  backend: string;
}): Promise<RunSummary> {
  const { metrics: testMetrics, outputs } = await scoreSamples(r.model, r.test, r.shared, true);
  if (!Number.isFinite(testMetrics.loss!))
    throw new DivergedError(`training diverged: the test loss is ${testMetrics.loss}`);
  const scored = predictedFrom(outputs!, r.shared.numClasses);
  const predicted = scored.classes;
  await writeFileAtomic(join(r.runDir, RUN_FILES.predictions), predictionsCsv(r.test.labels, predicted));
  await writeFileAtomic(join(r.runDir, RUN_FILES.probabilities), probabilitiesCsv(r.test.labels, scored));
  const matrix = confusionMatrix(r.test.labels, predicted, r.shared.numClasses);
  await writeFileAtomic(join(r.runDir, RUN_FILES.confusion), confusionCsv(matrix));
  const epochSeconds = r.history.map((h) => h.seconds);
  const trainSeconds = epochSeconds.reduce((a, b) => a + b, 0);
  const samples = r.history.reduce((n, h) => n + h.samplesPerSecond * h.seconds, 0);
  const summary: RunSummary = {
    formatVersion: FORMAT_VERSION,
    testLoss: testMetrics.loss!,
    testAccuracy: accuracyOf(r.test.labels, predicted),
    testMetrics,
    epochsRun: r.history.length,
    bestEpoch: bestEpoch(r.history),
    final: r.history.at(-1)?.metrics ?? {},
    epochSeconds,
    trainSeconds,
    trainSamplesPerSecond: trainSeconds > 0 ? samples / trainSeconds : 0,
    params: {
      total: r.params.totalParams,
      trainable: r.params.trainableParams,
      nonTrainable: r.params.nonTrainableParams,
    },
    backend: r.backend,
  };
  await writeFileAtomic(join(r.runDir, RUN_FILES.summary), formatJson(RUN_FILES.summary, SummarySchema, summary));
  return summary;
}
