import { describe, expect, it } from 'vitest';
import { loadAddon, type OnednnAddon } from '../src/backend/onednn/addon.js';
import { UNARY } from '../src/backend/onednn/op-codes.js';

// Not skipped without the addon: CI builds it (make test).
const load = loadAddon();
const addon = (load.ok ? load.addon : undefined) as OnednnAddon;

describe("the addon's primitive cache", () => {
  it('the addon is built and loads', () => {
    expect(load.ok ? '' : `${load.reason}; ${load.fix}`).toBe('');
  });

  it('stays bounded as shapes keep changing, and remakes what it evicted', () => {
    const x = new Float32Array(600).map((_, i) => i - 300);
    for (let n = 1; n <= 300; n++) addon.unary(UNARY.relu, 0, 0, x.subarray(0, n), new Float32Array(n));
    expect(addon.info().cachedPrimitives).toBe(256);
    const out = new Float32Array(2); // the least recently used sizes went first: this one is made again
    addon.unary(UNARY.relu, 0, 0, x.subarray(300, 302), out);
    expect([...out]).toEqual([0, 1]);
  });
});
