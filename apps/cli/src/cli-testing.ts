// For tests that run `lore` as a child process: the bundled CLI users run, not tsx over the sources.
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * apps/cli/bin/lore.mjs: rebuilds the bundle when a source changed since (vitest's global set-up
 * does that once before any file runs), then runs it in the same process, so a signal sent to the
 * child reaches Lore itself. It starts in well under a second where tsx compiles every module.
 */
export const LORE_BIN = fileURLToPath(new URL("../bin/lore.mjs", import.meta.url));

/** The command and arguments that run `lore <args>`. */
export function loreCommand(args: readonly string[]): [string, string[]] {
  return [process.execPath, [LORE_BIN, ...args]];
}

const running = new Set<ChildProcess>();

/** Starts `lore <args>` with its output piped; `killRunningLore` ends those still running. */
export function startLore(args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(...loreCommand(args), { env, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

/** For a test file's afterAll: a process a failed test left behind must not outlive the run. */
export function killRunningLore(): void {
  for (const child of running) child.kill("SIGKILL");
}

/**
 * Resolves when what a `lore` child process prints (stdout and stderr together) matches `pattern`,
 * with the first captured group (else the whole match); rejects with that output when the process
 * ends first (its streams closed, so nothing it printed is missed).
 */
export function waitForOutput(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = "";
    const read = (data: Buffer) => {
      output += data.toString();
      const match = pattern.exec(output);
      if (match) {
        stop();
        resolve(match[1] ?? match[0]);
      }
    };
    const exited = (code: number | null) => {
      stop();
      reject(new Error(`lore exited with ${code} before printing ${pattern}:\n${output}`));
    };
    const stop = () => {
      child.stdout?.off("data", read);
      child.stderr?.off("data", read);
      child.off("close", exited);
    };
    child.stdout?.on("data", read);
    child.stderr?.on("data", read);
    child.once("close", exited);
  });
}
