/**
 * The GPU adapters Dawn sees, described for `doctor`, meta.json and the log, and which of them are
 * software: a CPU pretending to be a GPU (SwiftShader, lavapipe, llvmpipe, WARP) never counts as one.
 * Only structural types of the `webgpu` package are named here, so the package stays optional.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The part of a WebGPU adapter this module reads. */
export interface GpuAdapterLike {
  readonly info: {
    vendor: string;
    architecture: string;
    device: string;
    description: string;
    isFallbackAdapter?: boolean;
  };
  readonly limits: Record<string, number>;
  readonly features: { has(name: string): boolean };
  requestDevice(descriptor?: object): Promise<GpuDeviceLike>;
}

export interface GpuDeviceLike {
  readonly lost: Promise<{ reason: string; message: string }>;
  addEventListener?: (type: 'uncapturederror', listener: (event: unknown) => void) => void;
  readonly limits: Record<string, number>;
  destroy(): void;
}

export interface GpuLike {
  requestAdapter(options?: object): Promise<GpuAdapterLike | null>;
}

/** What the npm package `webgpu` exports. */
export interface WebgpuModule {
  create: (flags: string[]) => GpuLike;
  globals: Record<string, unknown>;
}

/** One adapter, as doctor and meta.json show it. */
export interface AdapterSummary {
  /** Dawn's name for it, e.g. 'NVIDIA H200' or 'SwiftShader Device (Subzero)'. */
  name: string;
  /** The native API Dawn drives it through: vulkan, metal, d3d12… */
  api: string;
  vendor: string;
  architecture: string;
  device: string;
  /** The driver's description, e.g. 'SwiftShader driver 5.0.0'. */
  description: string;
  /** A CPU emulating a GPU: never picked by `auto`, refused by `--backend webgpu` unless allowed. */
  software: boolean;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

const SOFTWARE_NAMES = /swiftshader|llvmpipe|lavapipe|softpipe|\bwarp\b|basic render driver/i;

/** Whether an adapter is a software rasteriser, by Dawn's own flag or by the names the known ones carry. */
export function isSoftwareAdapter(info: GpuAdapterLike['info'], name = ''): boolean {
  if (info.isFallbackAdapter === true) return true;
  return [name, info.vendor, info.architecture, info.device, info.description].some((s) => SOFTWARE_NAMES.test(s));
}

/**
 * Dawn answers an adapter name that matches nothing with the list of those it has, one line each:
 * ` * backend: 'vulkan', name: 'SwiftShader Device (Subzero)'`. That is the only way to see them all.
 */
export function parseAdapterList(message: string): { api: string; name: string }[] {
  const out: { api: string; name: string }[] = [];
  for (const m of message.matchAll(/^\s*\*\s*backend:\s*'([^']*)',\s*name:\s*'(.*)'\s*$/gm)) {
    out.push({ api: m[1]!, name: m[2]! });
  }
  return out;
}

/**
 * Wayland's client library, loaded by some Vulkan drivers, prints an error for every adapter when
 * XDG_RUNTIME_DIR is unset (servers, CI). A private empty folder keeps it quiet and changes nothing else.
 */
export function quietWayland(env: NodeJS.ProcessEnv = process.env): void {
  if (env.XDG_RUNTIME_DIR) return;
  env.XDG_RUNTIME_DIR = mkdtempSync(join(tmpdir(), 'mnist-run-xdg-'));
}

export function summarize(adapter: GpuAdapterLike, name: string, api: string): AdapterSummary {
  const { info, limits } = adapter;
  return {
    name: name || info.description || info.device || 'unnamed adapter',
    api,
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    software: isSoftwareAdapter(info, name),
    maxBufferSize: limits.maxBufferSize ?? 0,
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize ?? 0,
  };
}

export interface FoundAdapter {
  summary: AdapterSummary;
  adapter: GpuAdapterLike;
  /** The Dawn instance it came from: it must stay reachable, or its events (read-backs) stop. */
  gpu: GpuLike;
}

/** Every adapter Dawn offers, each requested by name so its own info and limits are read. */
export async function listAdapters(webgpu: WebgpuModule): Promise<FoundAdapter[]> {
  quietWayland();
  let names: { api: string; name: string }[] = [];
  try {
    await webgpu.create(['adapter=\u0001no adapter has this name']).requestAdapter();
  } catch (err) {
    names = parseAdapterList((err as Error).message);
  }
  const found: FoundAdapter[] = [];
  for (const { api, name } of names) {
    const gpu = webgpu.create([`backend=${api}`, `adapter=${name}`]);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
    if (adapter) found.push({ adapter, gpu, summary: summarize(adapter, name, api) });
  }
  if (found.length === 0 && names.length === 0) {
    // A Dawn that lists nothing this way may still hand out its default adapter.
    const gpu = webgpu.create([]);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null);
    if (adapter) found.push({ adapter, gpu, summary: summarize(adapter, '', 'default') });
  }
  return found;
}

/** How doctor and the log name an adapter in one line. */
export function describeAdapter(a: AdapterSummary): string {
  const what = [a.description, a.architecture && `${a.vendor} ${a.architecture}`.trim()].filter(Boolean).join(', ');
  return `${a.software ? 'software ' : ''}GPU ${a.name} (WebGPU on ${a.api}${what ? `; ${what}` : ''})`;
}
