// The one error providers throw: a failed embedding or chat call, saying whether a retry can help.

/** A provider failed; `retryable` says whether trying again later can help. */
export class ProviderError extends Error {
  override readonly name = "ProviderError";
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
