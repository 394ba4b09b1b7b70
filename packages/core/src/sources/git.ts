// Runs the system `git` for source syncs: no hooks, no prompts, a timeout, a fixed set of transports, secrets only in the environment.
import { spawn } from "node:child_process";
import { LoreError } from "../errors";

export interface GitRunOptions {
  gitDir: string;
  workTree?: string;
  /** Extra environment (GIT_INDEX_FILE); merged over the sanitised one. */
  env?: Record<string, string>;
  /** An HTTPS token: sent as a basic-auth header through GIT_CONFIG_* variables, never argv. */
  token?: string;
  input?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

export const DEFAULT_GIT_TIMEOUT_MS = 10 * 60_000;
const STDERR_LIMIT = 2000;

/** Runs git and returns its stdout; a non-zero exit, a timeout or a stop throws (stderr trimmed). */
export async function runGit(args: readonly string[], options: GitRunOptions): Promise<Buffer> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/",
    GIT_DIR: options.gitDir,
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    // `ext::` and other transports can run commands: only these are allowed.
    GIT_ALLOW_PROTOCOL: "file:git:http:https:ssh",
    GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? "ssh -o BatchMode=yes",
    ...(process.env.SSH_AUTH_SOCK ? { SSH_AUTH_SOCK: process.env.SSH_AUTH_SOCK } : {}),
    ...(options.workTree ? { GIT_WORK_TREE: options.workTree } : {}),
    ...(options.token
      ? {
          GIT_CONFIG_COUNT: "1",
          GIT_CONFIG_KEY_0: "http.extraHeader",
          GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`x-access-token:${options.token}`).toString("base64")}`,
        }
      : {}),
    ...options.env,
  };
  const fullArgs = ["-c", "core.hooksPath=/dev/null", "-c", "protocol.file.allow=always", ...args];
  return new Promise<Buffer>((resolve, reject) => {
    const child = spawn("git", fullArgs, {
      env,
      // No stdin unless there is input: writing to a git that already exited is an EPIPE.
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      timeout: options.timeoutMs,
      killSignal: "SIGKILL",
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const out: Buffer[] = [];
    let err = "";
    child.stdout?.on("data", (data: Buffer) => out.push(data));
    child.stderr?.on("data", (data: Buffer) => {
      if (err.length < STDERR_LIMIT) err += data.toString("utf8");
    });
    child.on("error", (error) => {
      if (options.signal?.aborted) reject(options.signal.reason);
      else reject(new LoreError("unavailable", `git could not run: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      if (options.signal?.aborted) return reject(options.signal.reason);
      if (code === 0) return resolve(Buffer.concat(out));
      const why = signal
        ? `was stopped after ${options.timeoutMs} ms`
        : `failed: ${err.trim().slice(0, STDERR_LIMIT) || `exit ${code}`}`;
      reject(new LoreError("unavailable", `git ${args[0]} ${why}`));
    });
    if (child.stdin) {
      // git may exit (an error) before reading its input: that is reported by its exit code.
      child.stdin.on("error", () => {});
      child.stdin.end(options.input);
    }
  });
}

/**
 * The folder a git URL names on this machine (a path or a file:// URL); undefined for a remote
 * (scheme://…, or scp-like user@host:path). The API checks such folders against the ingest roots.
 */
export function localGitPath(url: string): string | undefined {
  if (url.startsWith("file://")) return new URL(url).pathname;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return undefined;
  if (/^[^/]+:/.test(url)) return undefined;
  return url;
}
