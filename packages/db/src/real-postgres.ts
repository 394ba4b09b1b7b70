// Test harness for the real Postgres (CI's ../shared/postgres/start): a fresh database per test file, or a skip.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { openDatabase } from "./client";
import { migrate } from "./migrate";
import { freePort } from "./testing";
import type { Database } from "./types";

/** The env var .ci/run and the vitest global set-up fill with a superuser URL of the real server. */
export const TEST_DATABASE_URL_VARIABLE = "LORE_TEST_DATABASE_URL";

/** `../shared/postgres/start` from the repository root: present on CI and the developers' machines. */
export const SHARED_POSTGRES_START = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../../shared/postgres/start",
);

/** The real server's admin URL, or undefined where there is none (tests then skip, saying so). */
export function realPostgresUrl(): string | undefined {
  const url = process.env[TEST_DATABASE_URL_VARIABLE]?.trim();
  return url ? url : undefined;
}

/** Why real-Postgres suites are skipped here; undefined when they run. */
export function realPostgresSkipReason(): string | undefined {
  if (realPostgresUrl()) return undefined;
  const skipped = "real-Postgres suites skipped (PGlite only)";
  if (process.env[TEST_DATABASE_URL_VARIABLE] !== undefined)
    return `${TEST_DATABASE_URL_VARIABLE} is set empty: ${skipped}`;
  if (!existsSync(SHARED_POSTGRES_START))
    return `${TEST_DATABASE_URL_VARIABLE} is unset and there is no ../shared/postgres/start: ${skipped}; set it to a superuser URL of a Postgres with pgvector to run them`;
  return `${TEST_DATABASE_URL_VARIABLE} is unset and ../shared/postgres/start needs root: ${skipped}`;
}

/**
 * A suite's name that carries the skip reason, so the reporter shows why it did not run:
 * `describe.skipIf(!realPostgresUrl())(realPostgresSuite("chaos"), …)`.
 */
export function realPostgresSuite(name: string): string {
  const reason = realPostgresSkipReason();
  if (reason === undefined) return `${name} (real Postgres)`;
  // Printed too: a skipped suite's name alone is easy to miss in a long run.
  console.warn(`[lore] ${name}: ${reason}`);
  return `${name} (skipped: ${reason})`;
}

export interface RealTestDatabase {
  /** Its own URL, for child processes (`DATABASE_URL`) and extra pools. */
  url: string;
  /** The database's name, for pg_stat_activity filters. */
  name: string;
  /** Migrated (unless `migrated: false`), with a small pool; closed by drop(). */
  database: Database;
  /** Closes the pool and drops the database (forcing out any connection left behind). */
  drop(): Promise<void>;
}

/**
 * Creates a uniquely named, migrated database on the real server for one test file. The name
 * starts with `label` (letters, digits, underscores) so a leftover says which suite made it.
 */
export async function createRealTestDatabase(
  label: string,
  options: { poolSize?: number; adminUrl?: string; migrated?: boolean } = {},
): Promise<RealTestDatabase> {
  const adminUrl = options.adminUrl ?? realPostgresUrl();
  if (!adminUrl) throw new Error(realPostgresSkipReason());
  if (!/^[a-z][a-z0-9_]{0,30}$/.test(label)) throw new Error(`Invalid database label: ${label}`);
  const name = `lore_test_${label}_${process.pid}_${Date.now().toString(36)}`;
  const admin = await openDatabase({ kind: "postgres", url: adminUrl, poolSize: 1 });
  try {
    await admin.pool?.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.close();
  }
  const url = withDatabaseName(adminUrl, name);
  const database = await openDatabase({ kind: "postgres", url, poolSize: options.poolSize ?? 5 });
  try {
    if (options.migrated !== false) await migrate(database);
  } catch (error) {
    await database.close();
    await dropDatabase(adminUrl, name);
    throw error;
  }
  return {
    url,
    name,
    database,
    drop: async () => {
      await database.close();
      await dropDatabase(adminUrl, name);
    },
  };
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = await openDatabase({ kind: "postgres", url: adminUrl, poolSize: 1 });
  try {
    await admin.pool?.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.close();
  }
}

function withDatabaseName(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

const run = promisify(execFile);
const PG_VERSION = "15";

/** A throwaway Postgres cluster on this machine, for tests that restart the server. */
export interface ScratchCluster {
  /** A superuser URL (role `lore`) of its `postgres` database. */
  adminUrl: string;
  /** `pg_ctlcluster restart`: every connection drops; resolves once the server accepts them again. */
  restart(): Promise<void>;
  /** Stops and deletes the cluster. */
  drop(): Promise<void>;
}

/**
 * Why a scratch cluster cannot be made here, or undefined when it can: it takes root and
 * Debian's PostgreSQL 15 tools, which ../shared/postgres/start installs (with pgvector, which
 * every cluster of that installation can then load).
 */
export function scratchClusterSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return "restarting Postgres needs root";
  if (
    !existsSync(`/usr/lib/postgresql/${PG_VERSION}/bin/postgres`) ||
    !existsSync(SHARED_POSTGRES_START)
  )
    return "restarting Postgres needs ../shared/postgres/start's PostgreSQL 15";
  return undefined;
}

/**
 * Creates and starts a cluster of its own (`pg_createcluster`), so a test can restart Postgres
 * without cutting off the other suites that share the main server. fsync is off: its data is
 * thrown away.
 */
export async function startScratchCluster(name: string): Promise<ScratchCluster> {
  const reason = scratchClusterSkipReason();
  if (reason) throw new Error(reason);
  if (!/^[a-z][a-z0-9_]{0,20}$/.test(name)) throw new Error(`Invalid cluster name: ${name}`);
  await dropAbandonedClusters(name);
  // The pid keeps two test runs on one machine apart and tells a leftover's owner.
  const cluster = `${name}_${process.pid}`;
  const port = await freePort();
  await run("pg_createcluster", [
    PG_VERSION,
    cluster,
    "-p",
    String(port),
    "-o",
    "fsync=off",
    "-o",
    "full_page_writes=off",
    "--start",
    "--",
    "--no-sync",
  ]);
  const drop = async () => {
    await run("pg_dropcluster", [PG_VERSION, cluster, "--stop"]);
  };
  try {
    await run("su", [
      "postgres",
      "-c",
      `psql -p ${port} -qtAc "create role lore superuser login password 'lore'"`,
    ]);
  } catch (error) {
    await drop();
    throw error;
  }
  return {
    adminUrl: `postgres://lore:lore@127.0.0.1:${port}/postgres`,
    restart: async () => {
      await run("pg_ctlcluster", [PG_VERSION, cluster, "restart", "-m", "fast"]);
    },
    drop,
  };
}

/** Drops `<name>_<pid>` clusters whose test process is gone (killed before its clean-up ran). */
async function dropAbandonedClusters(name: string): Promise<void> {
  const { stdout } = await run("pg_lsclusters", ["-h"]);
  for (const line of stdout.split("\n")) {
    const [version, cluster] = line.trim().split(/\s+/);
    const pid = new RegExp(`^${name}_(\\d+)$`).exec(cluster ?? "")?.[1];
    if (version !== PG_VERSION || !pid || processAlive(Number(pid))) continue;
    await run("pg_dropcluster", [PG_VERSION, cluster ?? "", "--stop"]).catch(() => {});
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
