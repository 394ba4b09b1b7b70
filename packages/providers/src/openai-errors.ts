// Maps what the openai SDK throws to a ProviderError: 408, 409, 429, 5xx and network failures are retryable.
import OpenAI from "openai";
import { ProviderError } from "./provider-error";

export function toProviderError(error: unknown): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof OpenAI.APIError) {
    const status = error.status;
    const retryable =
      status === undefined || status === 408 || status === 409 || status === 429 || status >= 500;
    return new ProviderError(
      `provider error${status ? ` ${status}` : ""}: ${error.message}`,
      retryable,
      { cause: error },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderError(`provider error: ${message}`, true, { cause: error });
}
