/** What the benchmark scripts share: progress lines and the description of the machine. */
import os from "node:os";

export interface Progress {
  /** Prints a progress line stamped with the seconds since start (silent once interrupted). */
  log: (message: string) => void;
  /** Seconds since `start` (a performance.now() value), e.g. "1.2 s". */
  since: (start: number) => string;
  /** Silences progress lines, so the output ends with the interruption. */
  interrupt: () => void;
  readonly interrupted: boolean;
}

export function createProgress(prefix: string): Progress {
  const startedAt = performance.now();
  let interrupted = false;
  return {
    log: (message) => {
      if (interrupted) return;
      const elapsed = ((performance.now() - startedAt) / 1000).toFixed(1).padStart(5);
      console.log(`[${prefix} ${elapsed}s] ${message}`);
    },
    since: (start) => `${((performance.now() - start) / 1000).toFixed(1)} s`,
    interrupt: () => {
      interrupted = true;
    },
    get interrupted() {
      return interrupted;
    },
  };
}

/** The machine the numbers come from. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
}

export function describeMachine(): Machine {
  return {
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
  };
}
