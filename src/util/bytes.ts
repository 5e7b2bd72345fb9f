const KiB = 1024;
const MiB = 1024 * KiB;

/** A size for people: bytes, KiB or MiB, with a decimal below 10 MiB. */
export function formatBytes(bytes: number): string {
  if (bytes < KiB) return `${bytes} bytes`;
  if (bytes < MiB) return `${(bytes / KiB).toFixed(1)} KiB`;
  return `${(bytes / MiB).toFixed(bytes < 10 * MiB ? 1 : 0)} MiB`;
}
