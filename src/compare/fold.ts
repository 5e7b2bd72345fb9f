import { OptimizerSchema } from '../config/optimizers.js';

/**
 * Folding related config keys into one readable column. An optimizer's hyperparameters differ
 * between runs mostly because its type does (adam has beta1, sgd has none): five columns of
 * defaults say less than `adam(lr=0.001)`. Likewise a `deeper` variant adds model.layers.N.* keys to
 * every row; one short architecture string per run reads better than a column per layer field.
 */

type Config = Record<string, unknown>;

const OPT = 'optimizer.';
const LAYERS = 'model.layers.';
const ABBREV: Record<string, string> = { learningRate: 'lr' };
const short = (v: unknown) => (typeof v === 'number' ? String(Number(v.toPrecision(6))) : String(v));

/** The type's defaults, from the schema (undefined for a type with a required field, e.g. momentum). */
const defaultsOf = (type: unknown): Config | undefined => {
  const parsed = OptimizerSchema.safeParse({ type });
  return parsed.success ? (parsed.data as Config) : undefined;
};

/** `adam(lr=0.001)`, `rmsprop(lr=0.001, centered=true)`: the rate always, other fields where not the type's default. */
export function optimizerText(c: Config): string | undefined {
  const type = c[`${OPT}type`];
  if (type === undefined) return undefined;
  const dflt = defaultsOf(type);
  const params = Object.keys(c)
    .filter((k) => k.startsWith(OPT) && k !== `${OPT}type`)
    .map((k) => k.slice(OPT.length))
    .filter((k) => k === 'learningRate' || !dflt || JSON.stringify(dflt[k]) !== JSON.stringify(c[OPT + k]))
    .map((k) => `${ABBREV[k] ?? k}=${short(c[OPT + k])}`);
  return `${type}(${params.join(', ')})`;
}

/** The layers of a flattened config, rebuilt as objects, in order. */
function layersOf(c: Config): Config[] {
  const layers: Config[] = [];
  for (const [k, v] of Object.entries(c)) {
    if (!k.startsWith(LAYERS)) continue;
    const [index, ...field] = k.slice(LAYERS.length).split('.');
    const i = Number(index);
    layers[i] = { ...layers[i], [field.join('.')]: v };
  }
  return layers.filter(Boolean);
}

/** A dense layer as `512:relu` (units:activation, the common case kept short); an activation layer joins the layer before it when that has none; others `type(k=v)`. */
function layerTexts(layers: Config[]): string[] {
  const out: string[] = [];
  let open: { units: unknown; act?: unknown } | undefined;
  const close = () => {
    if (open) out.push(`${short(open.units)}${open.act ? `:${open.act}` : ''}`);
    open = undefined;
  };
  for (const { type, ...rest } of layers) {
    if (type === 'activation' && open && !open.act) open.act = rest.activation;
    else if (type === 'dense') {
      close();
      open = { units: rest.units, act: rest.activation === 'linear' ? undefined : rest.activation };
      const extra = Object.keys(rest).filter((k) => k !== 'units' && k !== 'activation');
      if (extra.length) {
        out.push(`dense(${[short(rest.units), ...extra.map((k) => `${k}=${short(rest[k])}`)].join(',')})`);
        open = undefined;
      }
    } else {
      close();
      out.push(
        type === 'activation'
          ? String(rest.activation)
          : `${type}(${Object.entries(rest)
              .map(([k, v]) => `${k}=${short(v)}`)
              .join(',')})`,
      );
    }
  }
  close();
  return out;
}

/**
 * One architecture string per run, with the layers every run shares at the start and the end left
 * out (as `…`), so the column shows only where the models differ: `… 512:relu 128:relu …`.
 */
export function modelTexts(configs: Config[]): string[] {
  const all = configs.map((c) => layerTexts(layersOf(c)));
  const shortest = Math.min(...all.map((l) => l.length));
  const sameAt = (at: (l: string[]) => string | undefined) => all.every((l) => at(l) === at(all[0]!));
  let head = 0;
  while (head < shortest && sameAt((l) => l[head])) head++;
  let tail = 0;
  while (tail < shortest - head && sameAt((l) => l[l.length - 1 - tail])) tail++;
  if (all.length < 2) head = tail = 0;
  // A run whose layers are all shared at one end (a prefix of a deeper model) keeps one for context.
  while (all.some((l) => l.length - head - tail <= 0) && head + tail > 0) head > 0 ? head-- : tail--;
  return all.map((l) => [...(head ? ['…'] : []), ...l.slice(head, l.length - tail), ...(tail ? ['…'] : [])].join(' '));
}

/** The run's tags, whether the flattened config holds them as `tags` (a list) or `tags.0`, `tags.1`… */
export function tagsOf(c: Config): string[] {
  if (Array.isArray(c.tags)) return c.tags.map(String);
  return Object.keys(c)
    .filter((k) => /^tags\.\d+$/.test(k))
    .sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)))
    .map((k) => String(c[k]));
}

export const isTagKey = (k: string) => k === 'tags' || /^tags\.\d+$/.test(k);

/** What folds into `optimizer` and `model`: the raw keys then leave the table's default columns. */
export const foldGroup = (k: string): 'optimizer' | 'model' | undefined =>
  k.startsWith(OPT) ? 'optimizer' : k.startsWith(LAYERS) ? 'model' : undefined;
