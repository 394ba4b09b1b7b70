// The `lore` command tree: names, arguments, flags and help. Each action imports its command's
// module only when it runs, so `lore --help` loads commander alone and `lore ingest` never loads
// the API, the evals or the web page.
import { Command } from "commander";
import {
  collectionOption,
  integer,
  list,
  ratePerMinute,
  topKOption,
  windowStart,
} from "./arguments";
import { addInsightsCommands } from "./commands/insights-commands";

/** Commander's action for a command whose implementation is loaded on first use. */
function lazy<ActionArguments extends unknown[]>(
  load: () => Promise<(...parameters: ActionArguments) => Promise<void>>,
): (...parameters: ActionArguments) => Promise<void> {
  return async (...parameters) => (await load())(...parameters);
}

export function createProgram(): Command {
  const program = new Command("lore")
    .description("Lore answers questions about your documents, with cited sources.")
    .option("--data-dir <dir>", "embedded database directory (LORE_DATA_DIR)")
    .showHelpAfterError();

  program
    .command("serve")
    .description(
      "serve the HTTP API (embedded mode also loads the sample docs into an empty default)",
    )
    .option("-p, --port <port>", "port (PORT)", integer("--port", 0, 65_535))
    .option("--host <host>", "host to bind (HOST)")
    .action(lazy(async () => (await import("./commands/serve")).runServe));

  program
    .command("ingest <path>")
    .description("load a folder of documents into a collection (through the job queue)")
    .addOption(collectionOption())
    .option("--sync", "delete documents whose files are gone")
    .option("--no-wait", "queue the job, print its id and return")
    .option("--json", "print the summary (or, with --no-wait, the job id) as JSON")
    .action(lazy(async () => (await import("./commands/ingest")).runIngest));

  program
    .command("ask <question>")
    .description("answer a question with cited sources")
    .addOption(collectionOption())
    .addOption(topKOption())
    .option("--json", "print the API's JSON response")
    .action(lazy(async () => (await import("./commands/ask")).runAsk));

  program
    .command("search <query>")
    .description("show the best-matching chunks")
    .addOption(collectionOption())
    .addOption(topKOption())
    .option("--json", "print JSON")
    .action(lazy(async () => (await import("./commands/search")).runSearch));

  program
    .command("mcp")
    .description("serve the MCP tools (search, ask, list_collections) over stdio for a local agent")
    .action(lazy(async () => (await import("./commands/mcp")).runMcp));

  program
    .command("migrate")
    .description("apply database migrations")
    .action(lazy(async () => (await import("./commands/migrate")).runMigrate));

  program
    .command("stats")
    .description("documents and chunks per collection")
    .option("-c, --collection <name>", "only this collection")
    .option("--since <window>", 'usage window: "30m", "24h", "7d"', windowStart, windowStart("24h"))
    .option("--json", "print JSON")
    .action(lazy(async () => (await import("./commands/stats")).runStats));

  addInsightsCommands(program, lazy);

  const keys = program.command("keys").description("manage API keys");
  keys
    .command("create")
    .description("create a key; it is printed once and only its hash is stored")
    .requiredOption("--name <name>", "a unique name (shown in logs and stats)")
    .requiredOption("--scopes <list>", "comma-separated: ask,search,ingest,insights,admin", list)
    .option("--collections <list>", "comma-separated collections (default: all)", list)
    .option("--rate <rate>", 'request rate limit, e.g. "60/min"', ratePerMinute)
    .option("--daily-tokens <n>", "daily LLM token quota", integer("--daily-tokens", 1, 1e12))
    .option(
      "--allowed-origins <list>",
      "publishable key for the widget: comma-separated browser origins (ask scope, one collection)",
      list,
    )
    .option("--json", "print JSON")
    .action(lazy(async () => (await import("./commands/keys")).runKeysCreate));
  keys
    .command("list")
    .description("list keys (never their secrets)")
    .option("--json", "print JSON")
    .action(lazy(async () => (await import("./commands/keys")).runKeysList));
  keys
    .command("revoke <idOrName>")
    .description("revoke a key by id or name")
    .action(lazy(async () => (await import("./commands/keys")).runKeysRevoke));

  program
    .command("eval [suite] [dir]")
    .description(
      "score retrieval and answers on the golden set over fixtures/docs; `eval folder <dir> --questions <file.jsonl>` on your own folder and questions; `eval beir <dir>` scores document ranking on a BEIR-format folder (corpus.jsonl, queries.jsonl, qrels/<split>.tsv)",
    )
    .option(
      "--split <split>",
      "golden: dev, test or all (default all); beir: the qrels file (default test)",
    )
    .option(
      "--corpus <names>",
      "golden: comma-separated docs, docs-paraphrase, aws (default all; aws needs ../shared/evaldata or LORE_EVALDATA_DIR)",
    )
    .option(
      "--questions <file>",
      "folder: the questions, one JSON object a line (id, question, answerable, sources, keyFacts)",
    )
    .addOption(topKOption())
    .option(
      "--check",
      "exit 1 when a metric is outside evals/thresholds.json (a folder: its entry in --thresholds)",
    )
    .option("--thresholds <file>", "thresholds file for --check (default evals/thresholds.json)")
    .option("--no-write", "do not write evals/results/<timestamp>-<config>.json and .md")
    .option("--results-dir <dir>", "write the result files there instead of evals/results")
    .option("--compare <files...>", "print the metric deltas between two golden result files (A B)")
    .option("--keep", "beir: keep the collection the corpus was loaded into")
    .option("--json", "print one JSON document")
    .action(lazy(async () => (await import("./commands/eval")).runEval));

  program
    .command("worker")
    .description("run the ingestion worker: claims queued jobs from the database (several may run)")
    .option(
      "--concurrency <n>",
      "jobs run at once (LORE_WORKER_CONCURRENCY)",
      integer("--concurrency", 1, 64),
    )
    .action(lazy(async () => (await import("./commands/worker")).runWorker));

  program
    .command("jobs [id]")
    .description("list recent ingest jobs, or show one")
    .option("-n, --limit <n>", "jobs listed", integer("--limit", 1, 200), 20)
    .option("--cancel", "cancel the job (queued or running)")
    .option("--json", "print JSON")
    .action(lazy(async () => (await import("./commands/jobs")).runJobs));

  const sources = program
    .command("sources")
    .description("sources that keep a collection in sync: a folder, a git repository, a website");
  const load = async () => import("./commands/sources");
  sources
    .command("add <kind> <name> <location>")
    .description(
      "add a source: kind folder|git|web; location a folder, a repository URL or path, or a start URL or sitemap.xml",
    )
    .addOption(collectionOption())
    .option(
      "--schedule <cron|interval>",
      'when to sync: a cron expression (UTC) or "30m", "6h", "1d"',
    )
    .option("--ref <ref>", "git: branch, tag or ref (default: the remote's HEAD)")
    .option("--sub-path <dir>", "git: only this folder of the repository")
    .option("--include <globs>", "only files matching these comma-separated globs", list)
    .option("--exclude <globs>", "skip files matching these comma-separated globs", list)
    .option("--browse-url <url>", "git: where people browse the repository (links back)")
    .option("--link-style <style>", "git: github, gitlab or gitea link format")
    .option(
      "--link-template <template>",
      "git: {base}/blob/{sha}/{path}#L{start}-L{end} style link",
    )
    .option("--token <ref>", "a secret reference such as env:GIT_TOKEN (never the secret itself)")
    .option("--prefix <url>", "web: stay within this URL prefix")
    .option("--max-pages <n>", "web: page cap", integer("--max-pages", 1, 100_000))
    .option("--delay-ms <ms>", "web: pause before each request", integer("--delay-ms", 0, 60_000))
    .option(
      "--allow-hosts <hosts>",
      "web: internal hosts that may resolve to private addresses",
      list,
    )
    .option("--config <json>", "other config fields as JSON")
    .option("--json", "print JSON")
    .action(lazy(async () => (await load()).runSourcesAdd));
  sources
    .command("list")
    .description("sources with their status, last sync and next run")
    .option("-c, --collection <name>", "only this collection")
    .option("--json", "print JSON")
    .action(lazy(async () => (await load()).runSourcesList));
  sources
    .command("show <idOrName>")
    .description("one source: config, schedule, last sync, error")
    .addOption(collectionOption())
    .option("--json", "print JSON")
    .action(lazy(async () => (await load()).runSourcesShow));
  sources
    .command("sync <idOrName>")
    .description("sync a source now (an ingest job); waits and prints the summary")
    .addOption(collectionOption())
    .option("--no-wait", "queue the job, print its id and return")
    .option("--json", "print JSON")
    .action(lazy(async () => (await load()).runSourcesSync));
  sources
    .command("remove <idOrName>")
    .description("delete a source (its documents stay)")
    .addOption(collectionOption())
    .option("--json", "print JSON")
    .action(lazy(async () => (await load()).runSourcesRemove));

  // Run by `pnpm install` (the root postinstall), not by people: hidden from --help.
  program
    .command("prepare", { hidden: true })
    .description("cache the template new embedded data directories start from")
    .action(lazy(async () => (await import("./commands/prepare")).runPrepare));

  return program;
}
