// One byte-size wording for the tree, the panel header and the target picker, so the same count
// reads the same everywhere.

/** Exact below 1 KiB so small test exchanges read as the byte counts people expect; 1.0 KiB, 25 KiB above. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
