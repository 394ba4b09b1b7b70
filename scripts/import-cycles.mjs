// Fails when the repository's TypeScript sources import each other in a loop (ARCHITECTURE.md).
//
// Why a script and not madge alone: the workspace packages resolve through their package.json
// `exports` to `src/*.ts`, which madge skips; TypeScript's own resolver (the root tsconfig's
// bundler resolution) follows them, so a loop through a package's index.ts counts too. Type-only
// and dynamic imports count as edges: a loop of types still ties the files together.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SOURCE_ROOTS = ["apps", "packages", "fixtures", "evals", "bench"];
const SKIPPED_FOLDERS = new Set(["node_modules", "dist", "results", "langchain"]);

function sourceFiles(directory) {
  const files = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || SKIPPED_FOLDERS.has(entry.name)) continue;
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(full));
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) files.push(full);
  }
  return files;
}

const config = ts.getParsedCommandLineOfConfigFile(
  path.join(ROOT, "tsconfig.json"),
  {},
  {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
    },
  },
);
const files = SOURCE_ROOTS.flatMap((folder) => sourceFiles(path.join(ROOT, folder)));
const known = new Set(files);

/** The repository files `file` imports (packages outside the repository are leaves: ignored). */
function importsOf(file) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  const targets = new Set();
  for (const { fileName } of importedFiles) {
    const { resolvedModule } = ts.resolveModuleName(fileName, file, config.options, ts.sys);
    const target = resolvedModule?.resolvedFileName;
    if (target && known.has(target)) targets.add(target);
  }
  return [...targets];
}

const graph = new Map(files.map((file) => [file, importsOf(file)]));

// Tarjan's strongly connected components: every component of more than one file (or a file
// importing itself) is a loop.
const loops = [];
const order = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
let counter = 0;
function visit(file) {
  order.set(file, counter);
  low.set(file, counter);
  counter += 1;
  stack.push(file);
  onStack.add(file);
  for (const target of graph.get(file)) {
    if (!order.has(target)) {
      visit(target);
      low.set(file, Math.min(low.get(file), low.get(target)));
    } else if (onStack.has(target)) {
      low.set(file, Math.min(low.get(file), order.get(target)));
    }
  }
  if (low.get(file) !== order.get(file)) return;
  const component = [];
  let member;
  do {
    member = stack.pop();
    onStack.delete(member);
    component.push(member);
  } while (member !== file);
  if (component.length > 1 || graph.get(file).includes(file)) loops.push(component);
}
for (const file of files) if (!order.has(file)) visit(file);

const edges = [...graph.values()].reduce((sum, targets) => sum + targets.length, 0);
if (loops.length === 0) {
  process.stdout.write(`import-cycles: no loop among ${files.length} files (${edges} imports)\n`);
} else {
  for (const loop of loops) {
    const names = loop.map((file) => path.relative(ROOT, file)).sort();
    process.stderr.write(
      `import-cycles: these files import each other in a loop:\n  ${names.join("\n  ")}\n`,
    );
  }
  process.exit(1);
}
