// `lore ask` and `lore search`: the same verbs and JSON as the HTTP API.
import { AskRequest, ask, SearchRequest, search } from "@lore/core";
import type { Command } from "commander";
import { formatAnswer, formatSearch, printJson } from "../output";
import { collectionOption, parseInput, topKOption, withRuntime } from "../shared";

interface QueryOptions {
  collection: string;
  topK?: number;
  json?: boolean;
}

export function registerAsk(program: Command): void {
  program
    .command("ask <question>")
    .description("answer a question with cited sources")
    .addOption(collectionOption())
    .addOption(topKOption())
    .option("--json", "print the API's JSON response")
    .action(async (question: string, options: QueryOptions, command: Command) => {
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
    });

  program
    .command("search <query>")
    .description("show the best-matching chunks")
    .addOption(collectionOption())
    .addOption(topKOption())
    .option("--json", "print JSON")
    .action(async (query: string, options: QueryOptions, command: Command) => {
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
    });
}
