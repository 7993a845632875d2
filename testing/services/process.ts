/**
 * What every throwaway server of the test harness does with its processes, written once:
 * run a command to its end, read the tail of a log, stop a child (signal, grace, SIGKILL), and
 * make sure nothing a test started outlives the test process. Node built-ins only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to its end and collects its output; the exit code is the caller's to judge.
 * Rejects when the command cannot be started (the error keeps its `code`, e.g. ENOENT) or, given
 * `timeoutMs`, when it is still running then (it is killed).
 */
export function runCommand(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            child.kill('SIGKILL');
            reject(Object.assign(new Error(`\`${command} ${args.join(' ')}\` did not finish within ${options.timeoutMs} ms`), { output: stdout + stderr }));
          }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** True once the child has exited, false when it is still running after `ms` (it is left alone). */
export function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (hasExited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(false);
    }, ms);
    const onExit = () => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/** Sends `signal` and waits `graceMs` for the exit; then SIGKILL, and waits for that too. */
export async function stopProcess(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (hasExited(child)) return;
  child.kill(signal);
  if (await waitForExit(child, graceMs)) return;
  child.kill('SIGKILL');
  await waitForExit(child, 10_000);
}

/** The last `n` lines of a text. */
export function lastLines(text: string, n = 20): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** A log from byte `offset` on; '' when there is no log (yet). */
export function readFrom(file: string, offset = 0): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const length = Math.max(0, fs.fstatSync(fd).size - offset);
    const buf = Buffer.alloc(length);
    const n = fs.readSync(fd, buf, 0, length, offset);
    return buf.subarray(0, n).toString();
  } finally {
    fs.closeSync(fd);
  }
}

/** The last lines of a log file, '' when there is none: for error messages. */
export function tailFile(file: string, lines = 20): string {
  return lastLines(readFrom(file), lines);
}

const exitCleanups = new Set<() => void>();
let exitHookInstalled = false;

/**
 * Runs `cleanup` when this process exits (synchronously, best effort): a server a test forgot to
 * destroy() must not outlive the test run. Returns the function that takes it back.
 */
export function onProcessExit(cleanup: () => void): () => void {
  exitCleanups.add(cleanup);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const fn of exitCleanups) {
        try {
          fn();
        } catch {
          // best effort: the process is exiting
        }
      }
    });
  }
  return () => exitCleanups.delete(cleanup);
}

/** What every throwaway server offers a fault test: stop it, start it again on the same port, throw it away. */
export interface RestartableServer {
  port: number;
  /** Stops the server and resolves once it refuses connections. */
  stop(): Promise<void>;
  /** Starts it again on the same port (and, where it keeps any, the same data); a no-op while running. */
  start(): Promise<void>;
  /** stop() and remove every file of this server; it cannot be started again. */
  destroy(): Promise<void>;
}
