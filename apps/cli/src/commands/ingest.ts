// `lore ingest <path>`: load a folder into a collection and print a summary.
import { ingestFolder } from "@lore/core";
import type { Command } from "commander";
import { formatIngest, printJson } from "../output";
import { collectionOption, withRuntime } from "../shared";

export function registerIngest(program: Command): void {
  program
    .command("ingest <path>")
    .description("load a folder of documents into a collection")
    .addOption(collectionOption())
    .option("--sync", "delete documents whose files are gone")
    .option("--json", "print the summary as JSON")
    .action(
      async (
        folder: string,
        options: { collection: string; sync?: boolean; json?: boolean },
        command: Command,
      ) => {
        await withRuntime(command, async (runtime) => {
          const showProgress = !options.json && process.stderr.isTTY;
          const summary = await ingestFolder(runtime.context, folder, {
            collection: options.collection,
            sync: options.sync ?? false,
            ...(showProgress
              ? {
                  onProgress: (progress) =>
                    process.stderr.write(
                      `\r\x1b[2K[${progress.filesDone}/${progress.filesSeen}] ${progress.source}`,
                    ),
                }
              : {}),
          });
          if (showProgress) process.stderr.write("\r\x1b[2K");
          if (options.json) printJson(summary);
          else process.stdout.write(`${formatIngest(summary)}\n`);
        });
      },
    );
}
