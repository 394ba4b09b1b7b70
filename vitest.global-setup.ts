// Vitest global set-up: brings the bundled CLI up to date, and points the real-Postgres suites at ../shared/postgres/start's server when it is here.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { LORE_BIN } from "./apps/cli/src/cli-testing";
import { SHARED_POSTGRES_START, TEST_DATABASE_URL_VARIABLE } from "./packages/db/src/real-postgres";

/**
 * `pnpm test` behaves the same in CI and on a developer's machine: .ci/run exports the URL
 * already; otherwise, as root with ../shared present, the server is started here (idempotent,
 * under a second once installed). Setting the variable to an empty string opts out. Without
 * either, the real-Postgres suites skip and say why. Forks read process.env after this runs.
 */
export default function setup(): void {
  // Test files run `lore` from its bundle (apps/cli/src/cli-testing.ts), which rebuilds itself when
  // a source changed: done once here, so files starting together never race to rebuild it.
  execFileSync(process.execPath, [LORE_BIN, "--help"], { stdio: "ignore", timeout: 300_000 });
  startSharedPostgres();
}

function startSharedPostgres(): void {
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
