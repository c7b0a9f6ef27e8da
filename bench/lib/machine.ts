/** What the figures were measured on. */
import { cpus, freemem, loadavg, platform, release, totalmem } from 'node:os';

export interface Machine {
  os: string;
  cpuModel: string;
  cpus: number;
  memoryGiB: number;
  node: string;
  /** 1-, 5- and 15-minute load averages when the run started: other work on the machine skews timings. */
  loadAverageAtStart: number[];
  freeMemoryGiBAtStart: number;
}

export function describeMachine(): Machine {
  const list = cpus();
  return {
    os: `${platform()} ${release()}`,
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cpus: list.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    freeMemoryGiBAtStart: Math.round((freemem() / 2 ** 30) * 10) / 10,
  };
}
