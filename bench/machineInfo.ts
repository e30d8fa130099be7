// What the figures were measured on, printed with them so nobody compares numbers across machines blindly.
import * as os from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  node: string;
  platform: string;
  kernel: string;
  totalMemoryMiB: number;
  loadAverageAtStart: number[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    totalMemoryMiB: Math.round(os.totalmem() / 2 ** 20),
    loadAverageAtStart: os.loadavg().map((load) => Math.round(load * 100) / 100),
  };
}
