import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { evaldataDir, locateSlice, REPO_ROOT } from "./evaldata";

const run = promisify(execFile);
let folder: string;

beforeAll(async () => {
  folder = await mkdtemp(path.join(tmpdir(), "lore-evaldata-"));
  // A slice archive laid out like the shared one: <name>/questions.jsonl inside.
  await mkdir(path.join(folder, "build", "slice", "docs"), { recursive: true });
  await writeFile(path.join(folder, "build", "slice", "questions.jsonl"), "{}\n");
  await mkdir(path.join(folder, "data"));
  await run("tar", [
    "-czf",
    path.join(folder, "data", "slice.tar.gz"),
    "-C",
    path.join(folder, "build"),
    "slice",
  ]);
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

describe("eval data", () => {
  it("is ../shared/evaldata beside the repo unless LORE_EVALDATA_DIR says otherwise", () => {
    expect(evaldataDir({})).toBe(path.resolve(REPO_ROOT, "..", "shared", "evaldata"));
    expect(evaldataDir({ LORE_EVALDATA_DIR: "/data/evals" })).toBe("/data/evals");
  });

  it("says which file is missing when the slice is absent", async () => {
    const located = await locateSlice("absent", "questions.jsonl", {
      dataDir: path.join(folder, "data"),
      cacheDir: path.join(folder, "cache"),
    });
    expect(located).toEqual({
      missing: expect.stringContaining(path.join(folder, "data", "absent.tar.gz")),
    });
  });

  it("unpacks the archive into the cache once and reuses it", async () => {
    const options = { dataDir: path.join(folder, "data"), cacheDir: path.join(folder, "cache") };
    const [first, second] = await Promise.all([
      locateSlice("slice", "questions.jsonl", options),
      locateSlice("slice", "questions.jsonl", options),
    ]);
    expect(first).toEqual(second);
    expect(first).toEqual({ dir: expect.stringMatching(/slice-\d+-\d+$/) });
    const again = await locateSlice("slice", "questions.jsonl", options);
    expect(again).toEqual(first);
    // No half-unpacked scratch folders are left behind, only the slice.
    expect(await readdir(options.cacheDir)).toEqual([
      path.basename((first as { dir: string }).dir),
    ]);
  });

  it("uses an already unpacked slice in the data folder as it is", async () => {
    const located = await locateSlice("slice", "questions.jsonl", {
      dataDir: path.join(folder, "build"),
      cacheDir: path.join(folder, "unused-cache"),
    });
    expect(located).toEqual({ dir: path.join(folder, "build", "slice") });
  });
});
