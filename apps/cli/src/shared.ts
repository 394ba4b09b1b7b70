// Helpers every command shares: resolving config with global flags, opening a runtime, parsing input.
import { type Config, type ConfigOverrides, loadConfig } from "@lore/config";
import { LoreError } from "@lore/core";
import { type Command, InvalidArgumentError, Option } from "commander";
import type { z } from "zod";
import { openRuntime, type Runtime } from "./runtime";

/** Config from the environment, with the global flags (on the root program) and `overrides` on top. */
export function resolveConfig(command: Command, overrides: ConfigOverrides = {}): Config {
  const { dataDir } = command.optsWithGlobals<{ dataDir?: string }>();
  return loadConfig(process.env, { ...(dataDir ? { dataDir } : {}), ...overrides });
}

export async function withRuntime<T>(
  command: Command,
  run: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  const runtime = await openRuntime(resolveConfig(command));
  try {
    return await run(runtime);
  } finally {
    await runtime.close();
  }
}

export function integer(name: string, min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`${name} must be a whole number from ${min} to ${max}.`);
    }
    return parsed;
  };
}

export const collectionOption = () =>
  new Option("-c, --collection <name>", "collection name").default("default");

export const topKOption = () =>
  new Option("-k, --top-k <n>", "results to use").argParser(integer("--top-k", 1, 50));

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
