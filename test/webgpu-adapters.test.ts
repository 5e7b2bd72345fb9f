/**
 * The webgpu backend's choices at its module boundary, with Dawn stood in for: which adapters count
 * as GPUs, which one a run takes, and what a machine without the optional packages is told.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultBackendContext, selectBackend } from '../src/backend/select.js';
import {
  type GpuAdapterLike,
  isSoftwareAdapter,
  listAdapters,
  parseAdapterList,
  type WebgpuModule,
} from '../src/backend/webgpu/adapters.js';
import { chooseAdapter, linuxGpuDeviceNodes } from '../src/backend/webgpu/index.js';

const info = (vendor: string, architecture: string, description: string, isFallbackAdapter = false) => ({
  vendor,
  architecture,
  device: '',
  description,
  isFallbackAdapter,
});

function fakeAdapter(i: GpuAdapterLike['info']): GpuAdapterLike {
  return {
    info: i,
    limits: { maxBufferSize: 2 ** 31, maxStorageBufferBindingSize: 2 ** 30 },
    features: { has: () => false },
    requestDevice: () => Promise.reject(new Error('not in this test')),
  };
}

/** A Dawn with these adapters, answering an unknown name with its list as dawn.node does. */
function fakeDawn(adapters: Record<string, GpuAdapterLike['info']>): WebgpuModule {
  return {
    globals: {},
    create: (flags) => {
      const name = flags.find((f) => f.startsWith('adapter='))?.slice('adapter='.length);
      return {
        requestAdapter: async () => {
          if (name === undefined) return null;
          const found = adapters[name];
          if (found) return fakeAdapter(found);
          const list = Object.keys(adapters).map((n) => ` * backend: 'vulkan', name: '${n}'`);
          throw new Error(`no suitable backends found\nAvailable adapters:\n${list.join('\n')}`);
        },
      };
    },
  };
}

describe('GPU adapters', () => {
  it("reads Dawn's list of adapters from its answer to a name it does not have", () => {
    const message =
      "no adapter with backend 'vulkan' and name 'x' found\nAvailable adapters:\n * backend: 'vulkan', name: 'NVIDIA H200'\n * backend: 'vulkan', name: 'SwiftShader Device (Subzero)'";
    expect(parseAdapterList(message)).toEqual([
      { api: 'vulkan', name: 'NVIDIA H200' },
      { api: 'vulkan', name: 'SwiftShader Device (Subzero)' },
    ]);
    expect(parseAdapterList('no adapters at all')).toEqual([]);
  });

  it('counts SwiftShader, llvmpipe, lavapipe and WARP as software, and real GPUs as hardware', () => {
    expect(isSoftwareAdapter(info('google', 'swiftshader', 'SwiftShader driver 5.0.0'))).toBe(true);
    expect(isSoftwareAdapter(info('mesa', '', 'llvmpipe (LLVM 15.0.6, 256 bits)'))).toBe(true);
    expect(isSoftwareAdapter(info('mesa', '', 'Mesa 22.3.6'), 'llvmpipe (LLVM 15.0.6, 256 bits)')).toBe(true);
    expect(isSoftwareAdapter(info('mesa', '', ''), 'lavapipe')).toBe(true);
    expect(isSoftwareAdapter(info('microsoft', '', 'Microsoft Basic Render Driver'))).toBe(true);
    expect(isSoftwareAdapter(info('unknown', '', 'whatever', true))).toBe(true); // Dawn's own flag
    expect(isSoftwareAdapter(info('nvidia', 'hopper', 'NVIDIA 570.86'), 'NVIDIA H200')).toBe(false);
    expect(isSoftwareAdapter(info('amd', 'rdna-3', 'radv Mesa 24'), 'AMD Radeon RX 7900')).toBe(false);
    expect(isSoftwareAdapter(info('intel', 'gen-12lp', 'Intel open-source Mesa driver'), 'Intel(R) UHD 770')).toBe(
      false,
    );
  });

  it('takes the hardware adapter over a software one listed first, and a software one only when allowed', async () => {
    const found = await listAdapters(
      fakeDawn({
        'SwiftShader Device (Subzero)': info('google', 'swiftshader', 'SwiftShader driver 5.0.0', true),
        'NVIDIA H200': info('nvidia', 'hopper', 'NVIDIA 570.86'),
      }),
    );
    expect(found.map((f) => [f.summary.name, f.summary.software])).toEqual([
      ['SwiftShader Device (Subzero)', true],
      ['NVIDIA H200', false],
    ]);
    expect(found[1]!.summary).toMatchObject({ vendor: 'nvidia', architecture: 'hopper', api: 'vulkan' });
    expect(chooseAdapter(found, false)?.summary.name).toBe('NVIDIA H200');
    const softwareOnly = found.slice(0, 1);
    expect(chooseAdapter(softwareOnly, false)).toBeUndefined();
    expect(chooseAdapter(softwareOnly, true)?.summary.name).toBe('SwiftShader Device (Subzero)');
  });

  it('tells a machine without the optional packages how to install them', async () => {
    const missing = {
      importModule: async (s: string) => {
        if (s === 'webgpu' || s === '@tensorflow/tfjs-backend-webgpu')
          throw Object.assign(new Error(`Cannot find package '${s}'`), { code: 'ERR_MODULE_NOT_FOUND' });
        return defaultBackendContext.importModule(s);
      },
    };
    await expect(selectBackend('webgpu', missing)).rejects.toThrow(
      'backend "webgpu" cannot be used: the optional packages webgpu and @tensorflow/tfjs-backend-webgpu are not installed\n' +
        '  fix: `npm install --save-exact webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0`',
    );
  });
});

describe('auto on Linux', () => {
  it("sees a GPU by its driver's device nodes, and none where there are none", () => {
    const dev = mkdtempSync(join(tmpdir(), 'mnist-run-dev-'));
    expect(linuxGpuDeviceNodes(dev)).toEqual([]);
    mkdirSync(join(dev, 'dri'));
    for (const f of ['nvidiactl', 'nvidia-uvm', 'dri/card0', 'null']) writeFileSync(join(dev, f), '');
    expect(linuxGpuDeviceNodes(dev)).toEqual([]); // control nodes and display-only cards are no compute GPU
    for (const f of ['nvidia0', 'dri/renderD128']) writeFileSync(join(dev, f), '');
    expect(linuxGpuDeviceNodes(dev)).toEqual([join(dev, 'nvidia0'), join(dev, 'dri', 'renderD128')]);
  });
});
