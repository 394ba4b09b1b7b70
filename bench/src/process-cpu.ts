// CPU time of the processes a benchmark runs (Linux /proc): one process, this process's finished children, a database's backends.
import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import pg from "pg";

let clockTicksPerSecond: number | undefined;

function ticksToMs(ticks: number): number {
  clockTicksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  return (ticks * 1000) / clockTicksPerSecond;
}

/** `/proc/<pid>/stat`'s fields after the parenthesised command name (state is index 0). */
async function statFields(pid: number | "self"): Promise<string[] | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return stat === "" ? undefined : stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** A process's user + system CPU time so far, in ms (Linux /proc; 0 elsewhere). */
export async function processCpuMs(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const fields = await statFields(pid);
  // utime and stime are the stat file's fields 14 and 15.
  return fields ? ticksToMs(Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) : 0;
}

/**
 * User + system CPU of this process's children that have exited and been waited for (and of
 * their own waited-for children), in ms: read before and after a child runs, the difference is
 * that child's whole CPU time, which sampling its /proc entry cannot give once it has exited.
 */
export async function exitedChildrenCpuMs(): Promise<number> {
  const fields = await statFields("self");
  // cutime and cstime are the stat file's fields 16 and 17.
  return fields ? ticksToMs(Number(fields[13] ?? 0) + Number(fields[14] ?? 0)) : 0;
}

// Often enough that a backend which exits between two samples (a pool closing) loses little.
const BACKEND_SAMPLE_MS = 100;

/** The CPU that a database's backends spent while it watched (same machine as the server). */
export interface BackendCpuWatch {
  /** CPU ms of every backend seen since the watch (re)started: from its CPU then, or from 0 for a new one. */
  spentMs(): Promise<number>;
  /** Starts counting again from now (the backends' current CPU). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Samples the CPU of the backends connected to the database at `url` (pg_stat_activity, its own
 * connection excluded; parallel and autovacuum workers included) every 100 ms. A backend that
 * exits is counted up to its last sample, so a short-lived connection's last <100 ms are lost.
 */
export async function watchBackendCpu(url: string): Promise<BackendCpuWatch> {
  const monitor = new pg.Client({ connectionString: url });
  await monitor.connect();
  let baseline = new Map<number, number>();
  let latest = new Map<number, number>();
  const sample = async () => {
    const { rows } = await monitor.query<{ pid: number }>(
      "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    for (const { pid } of rows) {
      const cpu = await processCpuMs(pid);
      if (cpu > 0) latest.set(pid, cpu);
    }
  };
  let sampling = sample();
  await sampling;
  const timer = setInterval(() => {
    sampling = sampling.then(sample).catch(() => {});
  }, BACKEND_SAMPLE_MS);
  return {
    spentMs: async () => {
      await sampling;
      await sample();
      let total = 0;
      for (const [pid, cpu] of latest) total += cpu - (baseline.get(pid) ?? 0);
      return total;
    },
    restart: async () => {
      await sampling;
      await sample();
      baseline = new Map(latest);
      latest = new Map(latest);
    },
    close: async () => {
      clearInterval(timer);
      await sampling;
      await monitor.end();
    },
  };
}
