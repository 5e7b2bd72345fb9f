import type { AugmentSpec } from '../config/augment.js';
import type { ConfigIssue } from '../config/issue.js';
import { type LoadedConfig, loadConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';

export interface AugmentConfig {
  loaded: LoadedConfig;
  spec: AugmentSpec;
  warnings: ConfigIssue[];
}

/**
 * loadConfig plus the config's augment section, which the config layer has already parsed and
 * checked; a config without one is an error here, since there is nothing to preview. `shown` names
 * the file in messages.
 */
export async function loadAugmentConfig(
  file: string,
  overrides: string[],
  cwd: string,
  shown: string,
): Promise<AugmentConfig> {
  const loaded = await loadConfig(file, overrides, { cwd });
  const spec = loaded.config.augment;
  if (!spec) {
    throw new ConfigError(
      `${shown}: the config has no augment section; add one, e.g.\naugment:\n  rotationRange: 10\n  zoomRange: 0.1`,
    );
  }
  return { loaded, spec, warnings: loaded.warnings.filter((w) => w.path.startsWith('augment')) };
}
