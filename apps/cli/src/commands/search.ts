// `lore search`: shows the best-matching chunks; the same verb and JSON as POST /v1/search.
import { SearchRequest, search } from "@lore/core";
import type { Command } from "commander";
import { parseInput } from "../command-input";
import { formatSearch, printJson } from "../output";
import { withRuntime } from "../runtime";
import type { QueryOptions } from "./ask";

export async function runSearch(
  query: string,
  options: QueryOptions,
  command: Command,
): Promise<void> {
  const request = parseInput(SearchRequest, {
    query,
    collection: options.collection,
    ...(options.topK ? { topK: options.topK } : {}),
  });
  await withRuntime(command, async (runtime) => {
    const response = await search(runtime.context, request);
    if (options.json) printJson(response);
    else process.stdout.write(`${formatSearch(response)}\n`);
  });
}
