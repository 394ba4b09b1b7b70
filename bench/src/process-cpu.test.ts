// The bench's CPU accounting: an exited child's CPU and a database's backends' CPU, read from /proc.
import { spawn } from "node:child_process";
import { realPostgresSuite, realPostgresUrl } from "@lore/db/real-postgres";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { exitedChildrenCpuMs, watchBackendCpu } from "./process-cpu";

// A child that spins until it has used this much CPU (not wall clock: the machine is shared).
const BURN_MS = 300;
const BURN = `const start = process.cpuUsage(); while (true) { const used = process.cpuUsage(start); if ((used.user + used.system) / 1000 >= ${BURN_MS}) break; }`;

const onLinux = process.platform === "linux";

describe.skipIf(!onLinux)("process CPU from /proc", () => {
  it("counts a child's whole CPU time once it has exited", async () => {
    const before = await exitedChildrenCpuMs();
    const child = spawn(process.execPath, ["-e", BURN], { stdio: "ignore" });
    await new Promise<void>((resolve) => child.once("close", () => resolve()));
    // Clock ticks are 10 ms; Node's own start-up adds to the burn.
    expect((await exitedChildrenCpuMs()) - before).toBeGreaterThanOrEqual(BURN_MS - 20);
  });
});

describe.skipIf(!onLinux || !realPostgresUrl())(realPostgresSuite("backend CPU"), () => {
  it("counts the CPU a backend of the database spends after the watch restarts", async () => {
    const url = realPostgresUrl() ?? "";
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const watch = await watchBackendCpu(url);
    try {
      // Before the restart: not counted.
      await client.query("SELECT count(*) FROM generate_series(1, 3000000)");
      await watch.restart();
      expect(await watch.spentMs()).toBeLessThan(100);
      await client.query("SELECT count(*) FROM generate_series(1, 3000000)");
      await client.query("SELECT count(*) FROM generate_series(1, 3000000)");
      expect(await watch.spentMs()).toBeGreaterThanOrEqual(100);
    } finally {
      await watch.close();
      await client.end();
    }
  });
});
