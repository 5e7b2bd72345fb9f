/** The 'onednn' tfjs backend: the cpu backend's storage and kernels, with the hot kernels native. */
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { BufferPool } from './pool.js';

export const BACKEND_NAME = 'onednn';
type DataId = Parameters<MathBackendCPU['readSync']>[0];

/** Tensors live in the same JS typed arrays as on 'cpu'; only kernels and buffer reuse differ. */
export class OnednnBackend extends MathBackendCPU {
  readonly pool = new BufferPool();

  private valuesOf(dataId: DataId): unknown {
    return this.data.has(dataId) ? this.data.get(dataId).values : undefined;
  }

  // The cpu backend hands out its own array from reads, so a read buffer is never reused.
  override readSync(dataId: DataId) {
    this.pool.escape(this.valuesOf(dataId));
    return super.readSync(dataId);
  }

  override async read(dataId: DataId) {
    this.pool.escape(this.valuesOf(dataId));
    return super.read(dataId);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.valuesOf(dataId);
    const deleted = super.disposeData(dataId, force);
    if (deleted) this.pool.recycle(values);
    return deleted;
  }

  override dispose(): void {
    this.pool.clear();
    super.dispose();
  }
}
