// Vitest global set-up: points the real-Postgres suites at ../shared/postgres/start's server when it is here.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { SHARED_POSTGRES_START, TEST_DATABASE_URL_VARIABLE } from "./packages/db/src/real-postgres";

/**
 * `pnpm test` behaves the same in CI and on a developer's machine: .ci/run exports the URL
 * already; otherwise, as root with ../shared present, the server is started here (idempotent,
 * under a second once installed). Setting the variable to an empty string opts out. Without
 * either, the real-Postgres suites skip and say why. Forks read process.env after this runs.
 */
export default function setup(): void {
  if (process.env[TEST_DATABASE_URL_VARIABLE] !== undefined) return;
  if (!existsSync(SHARED_POSTGRES_START) || process.getuid?.() !== 0) return;
  try {
    const url = execFileSync(SHARED_POSTGRES_START, [], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      timeout: 300_000,
    }).trim();
    if (url) process.env[TEST_DATABASE_URL_VARIABLE] = url;
  } catch (error) {
    console.warn(`[lore] could not start the shared Postgres; real-Postgres suites skip: ${error}`);
  }
}
