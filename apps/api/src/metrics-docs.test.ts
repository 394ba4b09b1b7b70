import { readFile } from "node:fs/promises";
import type { LoreContext } from "@lore/core";
import type { Database } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { pino } from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createApp } from "./app";

const DOCS = new URL("../../../docs/", import.meta.url);
let database: Database;
let exposed: Set<string>;

beforeAll(async () => {
  database = await createTestDatabase();
  const context: LoreContext = { db: database.db, embedder: createLocalEmbedder() };
  const app = createApp({ context, logger: pino({ level: "silent" }) });
  const text = await (await app.request("/metrics")).text();
  exposed = new Set(
    [...text.matchAll(/^# TYPE (\S+) (\S+)/gm)].flatMap(([, name, type]) =>
      type === "histogram" ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name ?? ""],
    ),
  );
});
afterAll(async () => {
  await database.close();
});

/** Metric names a PromQL text uses: Lore's, Node's and the process's. */
function metricNames(text: string): string[] {
  return [...new Set(text.match(/\b(?:lore|process|nodejs)_[a-z0-9_]+/g) ?? [])];
}

it("the Grafana dashboard queries only metrics /metrics exposes", async () => {
  const dashboard = JSON.parse(await readFile(new URL("grafana-dashboard.json", DOCS), "utf8"));
  const expressions = dashboard.panels.flatMap((panel: { targets: { expr: string }[] }) =>
    panel.targets.map((target) => target.expr),
  );
  expect(expressions.length).toBeGreaterThan(10);
  const used = metricNames(expressions.join("\n"));
  expect(used.filter((name) => !exposed.has(name))).toEqual([]);
});

it("the example alert rules use only metrics /metrics exposes", async () => {
  const rules = await readFile(new URL("alerts/lore-alerts.yml", DOCS), "utf8");
  const used = metricNames(rules.replace(/^\s*#.*$/gm, ""));
  expect(used).toContain("lore_ingest_queue_oldest_seconds");
  expect(used.filter((name) => !exposed.has(name))).toEqual([]);
});
