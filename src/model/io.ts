import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MODEL_FILES } from '../output-files.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/fs.js';

/**
 * Saves in the tfjs layers format (model.json + one weights.bin), the layout that
 * `tf.loadLayersModel('file://…/model.json')` reads under tfjs-node and `loadModelDir` reads anywhere.
 * Pure tfjs has no file:// handler in Node, hence this small one.
 */
export async function saveModelDir(model: tf.LayersModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0));
      const manifest = [{ paths: [MODEL_FILES.weights], weights: artifacts.weightSpecs ?? [] }];
      await writeFileAtomic(join(dir, MODEL_FILES.weights), new Uint8Array(weightData));
      const { modelTopology, trainingConfig, format, generatedBy, convertedBy } = artifacts;
      const modelJson = { modelTopology, trainingConfig, format, generatedBy, convertedBy, weightsManifest: manifest };
      await writeJsonAtomic(join(dir, MODEL_FILES.topology), modelJson);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

export async function loadModelDir(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(await readFile(join(dir, MODEL_FILES.topology), 'utf8')) as tf.io.ModelJSON;
  const weights = await readFile(join(dir, MODEL_FILES.weights));
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
  const specs = json.weightsManifest.flatMap((group) => group.weights);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData }));
}
