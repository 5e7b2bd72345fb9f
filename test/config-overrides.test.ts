import { describe, expect, it } from 'vitest';
import { applyOverride, OverrideProblem, parseOverride } from '../src/config/overrides.js';
import { ConfigSchema } from '../src/config/schema.js';

const base = () => ({ model: { layers: [{ type: 'flatten' }, { type: 'dense', units: 10 }] } });

/** The written config after `--set` of each override, in order. */
function apply(texts: string[], data: unknown = base()) {
  for (const t of texts) applyOverride(data, parseOverride(t), ConfigSchema);
  return data;
}

describe('parseOverride', () => {
  it.each([
    ['train.epochs=3', ['train', 'epochs'], 3],
    ['optimizer.learningRate=1e-3', ['optimizer', 'learningRate'], 0.001],
    ['model.layers.1.kernelSize=[3,3]', ['model', 'layers', 1, 'kernelSize'], [3, 3]],
    ['train.validation={split: 0.2}', ['train', 'validation'], { split: 0.2 }],
    ['model.layers.0.useBias=false', ['model', 'layers', 0, 'useBias'], false],
    ['loss=meanSquaredError', ['loss'], 'meanSquaredError'],
    ['description=x=y', ['description'], 'x=y'],
    ['name="1"', ['name'], '1'],
    ['train.earlyStopping=', ['train', 'earlyStopping'], null],
  ])('reads %s as a path and a YAML value', (text, path, value) => {
    expect(parseOverride(text)).toEqual({ text, path, value });
  });

  it.each(['epochs', '=3', 'train..epochs=3', 'train.epochs[0]=3', '1.x=2'])('rejects the malformed %s', (text) => {
    expect(() => parseOverride(text)).toThrow(OverrideProblem);
  });
});

describe('applyOverride', () => {
  it('replaces a value deep in a list', () => {
    expect(apply(['model.layers.1.units=256'])).toEqual({
      model: { layers: [{ type: 'flatten' }, { type: 'dense', units: 256 }] },
    });
  });

  it("creates a missing section from the schema's default, so the result still validates", () => {
    const data = apply(['optimizer.learningRate=0.1', 'train.epochs=2', 'train.earlyStopping.patience=3']);
    expect(data).toMatchObject({
      optimizer: { type: 'adam', learningRate: 0.1 },
      train: { epochs: 2, earlyStopping: { patience: 3 } },
    });
    expect(ConfigSchema.safeParse(data).success).toBe(true);
  });

  it('changes an optimizer type without carrying defaults of the old one', () => {
    const data = apply(['optimizer.type=sgd'], { ...base(), optimizer: { type: 'adam', learningRate: 0.05 } });
    expect(ConfigSchema.parse(data).optimizer).toEqual({ type: 'sgd', learningRate: 0.05 });
  });

  it('removes a key or a list entry given null', () => {
    const data = apply(['model.layers.0=null', 'seed=~'], { ...base(), seed: 4 });
    expect(data).toEqual({ model: { layers: [{ type: 'dense', units: 10 }] } });
  });

  it('indexes into a default list the file leaves out, within its length', () => {
    expect(apply(['metrics.0=categoricalCrossentropy'])).toMatchObject({ metrics: ['categoricalCrossentropy'] });
    expect(() => apply(['metrics.1=accuracy'])).toThrow(
      new OverrideProblem('metrics.1=accuracy', 'metrics has 1 entry (0)'),
    );
  });

  it.each([
    ['model.layers.2.units=3', 'model.layers has 2 entries (0-1)'],
    ['model.layers.0.type.x=1', 'model.layers[0].type is "flatten", not a map, so it has no key x'],
    ['model.0=1', 'model is a map, not a list; 0 is not one of its keys'],
    ['model.layers.name=a', 'model.layers is a list; pick an entry by its index, e.g. model.layers.0.name'],
  ])('refuses %s: %s', (text, message) => {
    expect(() => apply([text])).toThrow(new OverrideProblem(text, message));
  });
});
