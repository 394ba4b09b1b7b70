// Flag parsers and shared flags: commander only, so defining the command tree loads nothing else.
import { InvalidArgumentError, Option } from "commander";

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

/** "a, b,c" → ["a", "b", "c"]. */
export const list = (value: string): string[] =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");

/** "60/min", "1/s", "3600/h" → requests per minute. */
export function ratePerMinute(value: string): number {
  const match = /^(\d+)\s*\/\s*(s|sec|second|m|min|minute|h|hour)$/.exec(value.trim());
  if (!match?.[1] || !match[2]) {
    throw new InvalidArgumentError('--rate looks like "60/min", "2/s" or "1000/h".');
  }
  const count = Number(match[1]);
  const unit = match[2][0];
  const perMinute = unit === "s" ? count * 60 : unit === "h" ? count / 60 : count;
  if (perMinute < 1)
    throw new InvalidArgumentError("--rate must allow at least 1 request a minute.");
  return Math.floor(perMinute);
}

/** "24h" → the time 24 hours ago. */
export function windowStart(value: string): Date {
  const match = /^(\d+)\s*(m|h|d)$/.exec(value.trim());
  if (!match?.[1] || !match[2])
    throw new InvalidArgumentError('--since looks like "30m", "24h" or "7d".');
  const minutes = { m: 1, h: 60, d: 1440 }[match[2] as "m" | "h" | "d"];
  return new Date(Date.now() - Number(match[1]) * minutes * 60_000);
}
