import { readFileSync } from 'node:fs';
import os from 'node:os';

/** The CPU's model name, for the machine line every benchmark prints. */
export function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch { /* not Linux */ }
  return os.cpus()[0]?.model ?? 'unknown';
}
