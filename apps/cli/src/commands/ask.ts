// `lore ask`: answers a question with cited sources; the same verb and JSON as POST /v1/ask.
import { AskRequest, ask } from "@lore/core";
import type { Command } from "commander";
import { parseInput } from "../command-input";
import { formatAnswer, printJson } from "../output";
import { withRuntime } from "../runtime";

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
