/**
 * CPU time of the processes sharing the machine during a scenario, by group: the measured service
 * (or baseline), the bench itself (autocannon), and the PostgreSQL, Redis and Kafka servers the bench
 * started (found in /proc by their data folder or port, so other people's servers are not counted).
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

export interface CpuGroups {
  postgresDataDir?: string;
  redisPort?: number;
  kafkaPort?: number;
}

interface Proc {
  pid: number;
  ppid: number;
  ticks: number;
  cmdline: string;
}

function listProcesses(): Proc[] {
  const out: Proc[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      out.push({ pid: Number(entry), ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU seconds used so far per group; backends of PostgreSQL are the postmaster's children. */
function snapshot(groups: CpuGroups, measuredPid: number): Record<string, number> {
  const procs = listProcesses();
  const seconds: Record<string, number> = { measured: 0, postgres: 0, redis: 0, kafka: 0 };
  const postmaster = groups.postgresDataDir
    ? procs.find((p) => p.cmdline.includes(`-D ${groups.postgresDataDir}`) && p.cmdline.includes('postgres'))
    : undefined;
  for (const p of procs) {
    const s = p.ticks / TICKS_PER_SECOND;
    if (p.pid === measuredPid) seconds.measured! += s;
    else if (postmaster && (p.pid === postmaster.pid || p.ppid === postmaster.pid)) seconds.postgres! += s;
    else if (groups.redisPort && /redis-server/.test(p.cmdline) && p.cmdline.includes(`:${groups.redisPort}`)) seconds.redis! += s;
    else if (groups.kafkaPort && p.cmdline.includes(`backend-event-kafka-${groups.kafkaPort}-`)) seconds.kafka! += s;
  }
  const self = process.cpuUsage();
  seconds.bench = (self.user + self.system) / 1e6;
  return seconds;
}

/** Percent of one core per group over the window (100 = one core busy all the time). */
export function sampleCpuGroups(groups: CpuGroups, measuredPid: number): { stop(): Record<string, number> } {
  const t0 = performance.now();
  const before = snapshot(groups, measuredPid);
  return {
    stop() {
      const after = snapshot(groups, measuredPid);
      const seconds = (performance.now() - t0) / 1000;
      const out: Record<string, number> = {};
      for (const [k, v] of Object.entries(after)) out[k] = (100 * (v - (before[k] ?? 0))) / seconds;
      return out;
    },
  };
}
