// Resolves a source's secret reference (`env:NAME`) in the process running the sync; the value is never stored or logged.
import { LoreError } from "../errors";
import type { SecretReference } from "./schemas";

export function resolveSecret(reference: SecretReference, field: string): string {
  const name = reference.slice("env:".length);
  const value = process.env[name];
  if (!value) {
    // Names the variable, never a value: the message is stored on the job and shown to users.
    throw new LoreError(
      "invalid_request",
      `${field}: the environment variable ${name} is not set where the sync runs (the worker).`,
    );
  }
  return value;
}
