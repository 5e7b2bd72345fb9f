/** A finding of the cross-field checks: an error stops the run, a warning is logged. */
export interface ConfigIssue {
  severity: 'error' | 'warning';
  /** Where, in bracket notation: `model.layers[3].units`. */
  path: string;
  message: string;
}

export const error = (path: string, message: string): ConfigIssue => ({ severity: 'error', path, message });
export const warning = (path: string, message: string): ConfigIssue => ({ severity: 'warning', path, message });
