// Runs Lore's CLI (and the baseline) as child processes, measuring wall clock and peak RSS from outside.
import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
/** The `lore` launcher users run (`pnpm lore` minus pnpm): the bundled CLI, rebuilt when stale. */
export const LORE_MAIN = fileURLToPath(new URL("../../apps/cli/bin/lore.mjs", import.meta.url));

export interface ChildRun {
  stdout: string;
  wallMs: number;
  peakRssMiB: number;
}

/**
 * Node, with tsx as a loader for TypeScript, run directly (not through pnpm) so the pid is the
 * process measured. `nodeArguments` go to node itself (e.g. `--cpu-prof`, which NODE_OPTIONS refuses).
 */
export function spawnScript(
  script: string,
  args: readonly string[],
  environment: NodeJS.ProcessEnv,
  nodeArguments: readonly string[] = [],
): ChildProcess {
  const loader = script.endsWith(".ts") ? ["--import", "tsx"] : [];
  return spawn(process.execPath, [...nodeArguments, ...loader, script, ...args], {
    cwd: REPO_ROOT,
    env: environment,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** The child's peak resident set (VmHWM), sampled until `stop()`; Linux only, 0 elsewhere. */
export function watchPeakRss(pid: number | undefined): { stop(): Promise<number> } {
  let peakKiB = 0;
  const sample = async () => {
    if (pid === undefined) return;
    const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    if (match) peakKiB = Math.max(peakKiB, Number(match[1]));
  };
  const timer = setInterval(() => void sample(), 50);
  return {
    stop: async () => {
      await sample();
      clearInterval(timer);
      return Math.round(peakKiB / 1024);
    },
  };
}

/** Runs a TypeScript entry point to completion; rejects with its stderr when it fails. */
export async function runScript(
  script: string,
  args: readonly string[],
  environment: NodeJS.ProcessEnv,
): Promise<ChildRun> {
  const started = performance.now();
  const child = spawnScript(script, args, environment);
  const rss = watchPeakRss(child.pid);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (data: Buffer) => {
    stdout += data.toString();
  });
  child.stderr?.on("data", (data: Buffer) => {
    stderr += data.toString();
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  const wallMs = performance.now() - started;
  // VmHWM only grows and is sampled every 50 ms, so the last sample before exit is the peak.
  const peakRssMiB = await rss.stop();
  if (code !== 0) {
    throw new Error(
      `${script} ${args.join(" ")} exited with ${code}: ${stderr.trim().slice(-2000)}`,
    );
  }
  return { stdout, wallMs, peakRssMiB };
}

/** A long-running child (a worker, a server): started, then stopped with SIGTERM. */
export interface Background {
  child: ChildProcess;
  output(): string;
  peakRssMiB(): Promise<number>;
  stop(): Promise<void>;
}

export function startBackground(
  script: string,
  args: readonly string[],
  environment: NodeJS.ProcessEnv,
  nodeArguments: readonly string[] = [],
): Background {
  const child = spawnScript(script, args, environment, nodeArguments);
  const rss = watchPeakRss(child.pid);
  let output = "";
  const collect = (data: Buffer) => {
    output = (output + data.toString()).slice(-20_000);
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  return {
    child,
    output: () => output,
    peakRssMiB: () => rss.stop(),
    stop: async () => {
      await rss.stop();
      if (child.exitCode === null) child.kill("SIGTERM");
      await closed;
    },
  };
}

/** Resolves when `check` returns true; rejects after `timeoutMs`, or at once when `abort` says why. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  abort?: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = abort?.();
    if (reason) throw new Error(reason);
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`gave up after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
