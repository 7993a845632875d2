/** Child processes of the bench: the service, the baseline server; readiness, RSS sampling, stopping. */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const live = new Set<ChildProcess>();
let exitHook = false;

/** Nothing the bench started may outlive it, even when it crashes. */
function installExitHook(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  /** performance.now() right before spawn(). */
  spawnedAt: number;
  log: string;
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how long the exit took (ms). */
  stop(graceMs?: number): Promise<number>;
}

export function startChild(name: string, args: string[], env: NodeJS.ProcessEnv, log: string, cwd: string, node = process.execPath): Child {
  installExitHook();
  const out = openSync(log, 'a');
  const spawnedAt = performance.now();
  let child: ChildProcess;
  try {
    // Output to a file, never an unread pipe that could block the child under load.
    child = spawn(node, args, { cwd, env, stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
  if (child.pid === undefined) throw new Error(`${name}: spawn failed`);
  live.add(child);
  let exitedFlag = false;
  child.once('exit', () => {
    exitedFlag = true;
    live.delete(child);
  });
  const exited = () => exitedFlag || child.exitCode !== null || child.signalCode !== null;
  return {
    name,
    process: child,
    pid: child.pid,
    spawnedAt,
    log,
    exited,
    async stop(graceMs = 15_000) {
      if (exited()) return 0;
      const t0 = performance.now();
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await gone;
      clearTimeout(timer);
      return performance.now() - t0;
    },
  };
}

export function tailOf(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Polls GET `url` until it answers 200 (and, for the actuator, `"status":"UP"`); returns ms since
 * the child was spawned. Fails when the child exits or `timeoutMs` passes.
 */
export async function waitReady(child: Child, url: string, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exited())
      throw new Error(`${child.name} exited during start-up (code ${child.process.exitCode ?? child.process.signalCode}):\n${tailOf(child.log)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      const body = await res.text();
      if (res.status === 200 && (!url.includes('/actuator/') || body.includes('"UP"'))) return performance.now() - child.spawnedAt;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${child.name} not ready at ${url} within ${timeoutMs} ms:\n${tailOf(child.log)}`);
    await sleep(10);
  }
}

export interface MemorySample {
  rssMb: number;
  hwmMb: number;
}

/** VmRSS and VmHWM (peak RSS) of a process from /proc, in MB; undefined when unavailable. */
export function readMemory(pid: number): MemorySample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return undefined;
  }
}

export interface MemoryStats {
  samples: number;
  rssMaxMb: number;
  rssAvgMb: number;
  rssEndMb: number;
  /** The process's peak RSS since it started (VmHWM), at the end of the window. */
  hwmMb: number;
  /** CPU time of the process over the window, in percent of one core (100 = one core saturated). */
  cpuPercent: number;
  /** Busy time of the whole machine over the window, in percent of all cores (load generator, PostgreSQL, others too). */
  machineBusyPercent: number;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime
  } catch {
    return Number.NaN;
  }
}

function machineTicks(): { busy: number; total: number } {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = cpu.reduce((a, b) => a + b, 0);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

/** Samples a process's RSS every `intervalMs`, and its CPU use over the window, until stop(). */
export function sampleProcess(pid: number, intervalMs = 100): { stop(): MemoryStats | undefined } {
  const values: number[] = [];
  let last: MemorySample | undefined;
  const take = () => {
    const m = readMemory(pid);
    if (m && Number.isFinite(m.rssMb)) {
      values.push(m.rssMb);
      last = m;
    }
  };
  const t0 = performance.now();
  const ticks0 = processTicks(pid);
  const machine0 = machineTicks();
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      const seconds = (performance.now() - t0) / 1000;
      const machine1 = machineTicks();
      if (values.length === 0 || !last) return undefined;
      return {
        samples: values.length,
        rssMaxMb: Math.max(...values),
        rssAvgMb: values.reduce((a, b) => a + b, 0) / values.length,
        rssEndMb: last.rssMb,
        hwmMb: last.hwmMb,
        cpuPercent: (100 * (processTicks(pid) - ticks0)) / TICKS_PER_SECOND / seconds,
        machineBusyPercent: (100 * (machine1.busy - machine0.busy)) / (machine1.total - machine0.total),
      };
    },
  };
}
