import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { onePagePdf } from "@lore/core/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";

// `pnpm lore` runs bin/lore.mjs, which runs the esbuild bundle in dist/ (rebuilt when stale).
const run = promisify(execFile);
const LAUNCHER = fileURLToPath(new URL("../bin/lore.mjs", import.meta.url));
const MANIFEST = fileURLToPath(new URL("../dist/build.json", import.meta.url));
const A_SOURCE = fileURLToPath(new URL("./output.ts", import.meta.url));
const DIST = fileURLToPath(new URL("../dist/", import.meta.url));

const Manifest = z.object({ startedAt: z.number(), sources: z.record(z.string(), z.number()) });

function lore(args: string[], env: Record<string, string>) {
  const { DATABASE_URL: _url, OPENAI_API_KEY: _key, ...inherited } = process.env;
  return run(process.execPath, [LAUNCHER, ...args], {
    env: { ...inherited, LORE_EMBED_PROVIDER: "local", LORE_LOG_LEVEL: "warn", ...env },
    timeout: 120_000,
  });
}

let folder: string;
let dataDir: string;
beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), "lore-bundle-"));
  dataDir = await mkdtemp(path.join(tmpdir(), "lore-bundle-data-"));
  await writeFile(
    path.join(folder, "bikes.md"),
    "# Bike room\n\nThe bike room under building C opens with code 4411.\n",
  );
  // Read in a worker thread whose file the bundle must find (pdf-text.ts, pdf-worker.mjs).
  await writeFile(path.join(folder, "pump.pdf"), onePagePdf("The bike pump hangs by the door."));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});

describe("the bundled CLI", () => {
  it("ingests and searches in embedded mode (migrations, PGlite and its files all found)", {
    timeout: 180_000,
  }, async () => {
    const env = { LORE_DATA_DIR: dataDir };
    const ingested = await lore(["ingest", folder, "--collection", "bikes", "--json"], env);
    expect(JSON.parse(ingested.stdout)).toMatchObject({
      collection: "bikes",
      documents: { added: 2 },
      skipped: [],
    });
    const searched = await lore(
      ["search", "bike room code", "--collection", "bikes", "--json"],
      env,
    );
    expect(JSON.parse(searched.stdout).results[0]).toMatchObject({
      source: "bikes.md",
      startLine: 1,
    });
  });

  it("is rebuilt before it runs when a source changed after the last build", {
    timeout: 180_000,
  }, async () => {
    await lore(["--help"], {});
    const before = Manifest.parse(JSON.parse(await readFile(MANIFEST, "utf8")));
    expect(Object.keys(before.sources)).toContain(A_SOURCE);
    const saved = new Date();
    await utimes(A_SOURCE, saved, saved);

    const { stdout } = await lore(["--help"], {});
    expect(stdout).toMatch(/ingest \[options\] <path>/);
    const after = Manifest.parse(JSON.parse(await readFile(MANIFEST, "utf8")));
    expect(after.startedAt).toBeGreaterThanOrEqual(saved.getTime());
    expect(after.sources[A_SOURCE]).toBeGreaterThan(before.sources[A_SOURCE] ?? 0);
  });

  it("queues an ingest job without loading the ingest pipeline, an embedder's SDK or PGlite", async () => {
    await lore(["--help"], {});
    const main = await readFile(path.join(DIST, "main.mjs"), "utf8");
    const command = /import\("\.\/(chunks\/ingest-[\w-]+\.mjs)"\)/.exec(main)?.[1];
    if (!command) throw new Error("main.mjs imports no ingest chunk");
    // What `lore ingest` loads before it runs: its chunk and everything that imports statically.
    const loaded = new Map<string, string>();
    const packages = new Set<string>();
    const pending = [path.join(DIST, command), path.join(DIST, "main.mjs")];
    for (let file = pending.pop(); file; file = pending.pop()) {
      if (loaded.has(file)) continue;
      const code = await readFile(file, "utf8");
      loaded.set(file, code);
      for (const [, specifier = ""] of code.matchAll(
        /^(?:import|export)\b[^;]*?["']([^"']+)["'];/gm,
      )) {
        if (specifier.startsWith(".")) pending.push(path.resolve(path.dirname(file), specifier));
        else packages.add(specifier);
      }
    }
    const code = [...loaded.values()].join("\n");
    // esbuild names each bundled module's source path in a comment.
    expect(code).toContain("packages/core/src/jobs/job-queue.ts");
    expect(code).not.toContain("packages/core/src/ingestion/ingest-folder.ts");
    expect(code).not.toContain("node_modules/openai/");
    expect(code).not.toContain("node_modules/@langchain/");
    expect([...packages].filter((name) => !name.startsWith("node:"))).toEqual([]);
  });
});
