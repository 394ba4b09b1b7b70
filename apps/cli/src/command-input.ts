// What a command reads: config with the global flags (--data-dir) on top, and its arguments through zod.
import { type Config, type ConfigOverrides, loadConfig } from "@lore/config";
import { LoreError } from "@lore/core";
import type { Command } from "commander";
import type { z } from "zod";

/** Config from the environment, with the global flags (on the root program) and `overrides` on top. */
export function resolveConfig(command: Command, overrides: ConfigOverrides = {}): Config {
  const { dataDir } = command.optsWithGlobals<{ dataDir?: string }>();
  return loadConfig(process.env, { ...(dataDir ? { dataDir } : {}), ...overrides });
}

export function parseInput<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const detail = result.error.issues
    .map((issue) => `${issue.path.join(".")}: ${issue.message}`)
    .join("; ");
  throw new LoreError("invalid_request", detail);
}
