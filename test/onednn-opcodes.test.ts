import { describe, expect, it } from 'vitest';
import { loadAddon } from '../src/backend/onednn/addon.js';
import { OP_CODES } from '../src/backend/onednn/op-codes.js';

// Not skipped without the addon: CI builds it (make test), and codes that drift apart must fail here.
const load = loadAddon();

describe('op codes', () => {
  it('the addon is built and loads', () => {
    expect(load.ok ? '' : `${load.reason}; ${load.fix}`).toBe('');
  });

  it('are the same on the TypeScript side as in native/src/op_codes.h', () => {
    if (!load.ok) throw new Error(`${load.reason}; ${load.fix}`);
    expect(load.addon.opCodes()).toStrictEqual(OP_CODES);
  });

  it.each(Object.entries(OP_CODES))('%s numbers its codes 0, 1, 2… in order', (_list, codes) => {
    expect(Object.values(codes)).toEqual(Object.keys(codes).map((_, i) => i));
  });
});
