// Bundles the CLI into apps/cli/dist with esbuild, and tells whether that bundle still matches
// its sources. Run directly (`node apps/cli/scripts/bundle.mjs`, the root postinstall) to build.
//
// Why a bundle: run from source, tsx transforms and resolves ~900 modules on every start (about
// 1.8 s); one pre-built ESM file per command loads in a fraction of that. Code splitting keeps
// each command's module in its own chunk, so `lore ingest` never parses the API or the evals.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const CLI_DIR = fileURLToPath(new URL("..", import.meta.url));
const DIST_DIR = path.join(CLI_DIR, "dist");
const CHUNKS_DIR = path.join(DIST_DIR, "chunks");
/** The sources the bundle was built from, with their modification times. */
const MANIFEST = path.join(DIST_DIR, "build.json");
const THIS_FILE = fileURLToPath(import.meta.url);
// Bundled packages change only with the lockfile, so it stands in for node_modules.
const LOCKFILE = path.join(CLI_DIR, "..", "..", "pnpm-lock.yaml");
// A process still running an older build may import one of its chunks late (the tokenizer's, at
// its first answer; that chunk's name rarely changes), so a chunk the new build does not use is
// deleted only once it is an hour old: dist/ stays small while sources are edited all day.
const UNUSED_CHUNK_MAX_AGE_MS = 60 * 60 * 1000;

// Packages that read files next to their own modules (PGlite's .wasm and .data, pgvector's
// archive, pdf.js, pino's worker threads) stay in node_modules, so they must be dependencies of
// @lore/cli itself: pnpm resolves a bare import from apps/cli/dist only through apps/cli.
const EXTERNAL = ["@electric-sql/pglite", "@electric-sql/pglite-pgvector", "unpdf", "pino"];

// Lore's own modules find migrations/, fixtures/ and evals/ through import.meta.url, which in a
// bundle would be the chunk's address: each keeps the address of its source file instead.
const keepModuleUrls = {
  name: "keep-module-urls",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = await readFile(args.path, "utf8");
      const url = JSON.stringify(pathToFileURL(args.path).href);
      const contents = source.replaceAll("import.meta.url", url);
      return {
        contents: (await isBarrel(args.path)) ? starReexports(contents) : contents,
        loader: "ts",
      };
    });
  },
};

// A workspace package's entry point (src/index.ts) re-exports its modules by name. In a split
// bundle esbuild then counts every module such a barrel names as reachable from each command
// that imports anything from the package, so `lore ingest` would load the whole ingest pipeline
// and both providers' SDKs just to queue a job. `export *` of the same modules lets esbuild
// follow only the names a command uses (evanw/esbuild#2922, rolldown#3746). Safe for
// side-effect-free packages: a name two modules both export fails the build as ambiguous
// instead of resolving silently, and types are checked against the sources by tsc.
const NAMED_REEXPORT = /export\s+(type\s+)?\{[^}]*\}\s*from\s*("[^"]+");/g;

async function isBarrel(file) {
  if (path.basename(file) !== "index.ts" || path.basename(path.dirname(file)) !== "src")
    return false;
  const manifest = packageJsonOf(file);
  if (!manifest) return false;
  return JSON.parse(await readFile(manifest, "utf8")).sideEffects === false;
}

function starReexports(source) {
  return source.replace(NAMED_REEXPORT, (_statement, typeOnly, specifier) =>
    typeOnly ? "" : `export * from ${specifier};`,
  );
}

/** Builds dist/ from apps/cli/src/main.ts; safe to run while other processes build or run it. */
export async function bundleCli() {
  const { build } = await import("esbuild");
  const startedAt = Date.now();
  const result = await build({
    entryPoints: { main: path.join(CLI_DIR, "src", "main.ts") },
    outdir: DIST_DIR,
    chunkNames: "chunks/[name]-[hash]",
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    external: EXTERNAL,
    // Bundled CommonJS packages call require() for Node's built-ins.
    banner: {
      js: 'import { createRequire as __loreCreateRequire } from "node:module"; const require = __loreCreateRequire(import.meta.url);',
    },
    plugins: [keepModuleUrls],
    metafile: true,
    write: false,
    logLevel: "warning",
  });
  await mkdir(CHUNKS_DIR, { recursive: true });
  // Chunks first and main.mjs last, each renamed into place whole: a process starting meanwhile
  // sees either the previous build or this one, never half of one.
  const files = [...result.outputFiles].sort(
    (a, b) => Number(a.path.endsWith("main.mjs")) - Number(b.path.endsWith("main.mjs")),
  );
  for (const file of files) await replaceFile(file.path, file.contents);
  const inputs = Object.keys(result.metafile.inputs)
    .filter((input) => !input.split("/").includes("node_modules"))
    .map((input) => path.resolve(input));
  // Each workspace package's package.json too: its exports and sideEffects shape the bundle.
  const manifests = [...new Set(inputs.map(packageJsonOf).filter((file) => file !== undefined))];
  await replaceFile(
    MANIFEST,
    JSON.stringify({
      startedAt,
      sources: await modifiedTimes([...inputs, ...manifests, THIS_FILE, LOCKFILE]),
    }),
  );
  await pruneChunks(new Set(files.map((file) => file.path)));
}

/** True when dist/ was built from the sources as they are now. */
export async function bundleIsCurrent() {
  let manifest;
  try {
    manifest = JSON.parse(await readFile(MANIFEST, "utf8"));
  } catch {
    return false;
  }
  const entries = Object.entries(manifest.sources ?? {});
  if (entries.length === 0) return false;
  const current = await modifiedTimes(entries.map(([file]) => file));
  // A source saved while the bundle was being built is newer than the build's start.
  return entries.every(
    ([file, modified]) => current[file] === modified && modified < manifest.startedAt,
  );
}

/** The package.json of the workspace package a source file belongs to. */
function packageJsonOf(file) {
  for (let directory = path.dirname(file); directory !== path.dirname(directory); ) {
    const candidate = path.join(directory, "package.json");
    if (existsSync(candidate)) return candidate;
    directory = path.dirname(directory);
  }
  return undefined;
}

async function modifiedTimes(files) {
  const times = await Promise.all(
    files.map((file) =>
      stat(file).then(
        (info) => info.mtimeMs,
        () => -1,
      ),
    ),
  );
  return Object.fromEntries(files.map((file, index) => [file, times[index]]));
}

async function replaceFile(file, contents) {
  const temporary = `${file}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, file);
}

async function pruneChunks(keep) {
  const now = Date.now();
  for (const name of await readdir(CHUNKS_DIR)) {
    const file = path.join(CHUNKS_DIR, name);
    if (keep.has(file)) continue;
    const info = await stat(file).catch(() => undefined);
    if (info && now - info.mtimeMs > UNUSED_CHUNK_MAX_AGE_MS) await rm(file, { force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === THIS_FILE) {
  await bundleCli();
}
