// `lore ask` and `lore search`: the same verbs and JSON as the HTTP API.
import { AskRequest, ask, SearchRequest, search } from "@lore/core";
import type { Command } from "commander";
import { formatAnswer, formatSearch, printJson } from "../output";
import { withRuntime } from "../runtime";
import { parseInput } from "../shared";

export interface QueryOptions {
  collection: string;
  topK?: number;
  json?: boolean;
}

export async function runAsk(
  question: string,
  options: QueryOptions,
  command: Command,
): Promise<void> {
  const request = parseInput(AskRequest, {
    question,
    collection: options.collection,
    ...(options.topK ? { topK: options.topK } : {}),
  });
  await withRuntime(command, async (runtime) => {
    const response = await ask(runtime.context, request);
    if (options.json) printJson(response);
    else process.stdout.write(`${formatAnswer(response)}\n`);
  });
}

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
