import { parse } from 'yaml';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { describeIssues } from '../config/messages.js';
import { pathText } from '../config/paths.js';
import type { ConfigIssue } from '../config/issue.js';
import { ConfigError } from '../errors.js';
import { ConfigSchema } from '../config/schema.js';
import { AugmentSchema, augmentIssues, type AugmentSpec } from './schema.js';

/**
 * The `augment` section of a loaded config, checked. Once the config schema carries `augment`,
 * loadConfig has already parsed and checked it and this re-parse is a no-op (defaults are filled,
 * so parsing again changes nothing); until then it is the only check the section gets, with
 * messages in the config loader's voice. `shown` names the file in messages.
 */
export function augmentSpecFrom(config: object, shown: string): { spec: AugmentSpec; warnings: ConfigIssue[] } {
  const section = (config as { augment?: unknown }).augment;
  if (section === undefined) {
    throw new ConfigError(`${shown}: the config has no augment section; add one, e.g.\naugment:\n  rotationRange: 10\n  zoomRange: 0.1`);
  }
  const parsed = AugmentSchema.safeParse(section);
  if (!parsed.success) {
    const lines = describeIssues(parsed.error.issues, section, AugmentSchema).map((p) => `${shown} ${pathText(['augment', ...p.path])}: ${p.message}`);
    throw new ConfigError(lines.join('\n'));
  }
  const issues = augmentIssues(parsed.data, 'augment');
  const errors = issues.filter((i) => i.severity === 'error');
  if (errors.length) throw new ConfigError(errors.map((i) => `${shown} ${i.path}: ${i.message}`).join('\n'));
  return { spec: parsed.data, warnings: issues.filter((i) => i.severity === 'warning') };
}

export interface AugmentConfig {
  loaded: LoadedConfig;
  spec: AugmentSpec;
  warnings: ConfigIssue[];
}

/**
 * loadConfig plus the checked augment section. Transitional: while ConfigSchema (strict) has no
 * `augment` key, loadConfig would reject the section, so it loads the file without it and reads the
 * section from the YAML as written (`--set augment.…` overrides are then not applied to it). Once the
 * key is wired in, the first branch is the only one taken and the rest can go.
 */
export async function loadAugmentConfig(file: string, overrides: string[], cwd: string, shown: string): Promise<AugmentConfig> {
  if ('augment' in ConfigSchema.shape) {
    const loaded = await loadConfig(file, overrides, { cwd });
    return { loaded, ...augmentSpecFrom(loaded.config, shown) };
  }
  const loaded = await loadConfig(file, [...overrides, 'augment=null'], { cwd });
  const written = (parse(loaded.text) ?? {}) as object;
  return { loaded, ...augmentSpecFrom(written, shown) };
}
