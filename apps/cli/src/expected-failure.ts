// Tells Lore's own failures (their message is the whole story) from unexpected ones (their stack
// is). main.ts loads it only when a command has failed; importing the packages' error classes
// here, not the packages' entry points dynamically, keeps each command's bundle to what it uses.
import { ConfigError } from "@lore/config";
import { DataDirLockedError, LoreError } from "@lore/core";

export { describeError } from "@lore/core";

export function isExpectedFailure(error: Error): boolean {
  return (
    error instanceof LoreError ||
    error instanceof ConfigError ||
    error instanceof DataDirLockedError
  );
}
