// The ChatModel port: a chat completion, whole or streamed, with the provider's token usage.

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

export interface ChatOptions {
  /** Aborts the upstream request (client gone, deadline passed). */
  signal?: AbortSignal;
  /** Overrides the model's default (0: the most repeatable answers). */
  temperature?: number;
  maxTokens?: number;
}

export interface ChatUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface ChatCompletion {
  text: string;
  /** Undefined when the server did not report usage (some compatible servers do not). */
  usage: ChatUsage | undefined;
}

/** What a stream yields: text deltas as they arrive, then one `finish` with the usage. */
export type ChatStreamPart =
  | { type: "delta"; text: string }
  | { type: "finish"; usage: ChatUsage | undefined };

export interface ChatModel {
  /** "openai:gpt-4o-mini": provider and model, recorded with each answer. */
  readonly id: string;
  /** Rejects with a ProviderError after its retries; an aborted signal rejects with the abort reason. */
  complete(messages: readonly ChatMessage[], options?: ChatOptions): Promise<ChatCompletion>;
  /**
   * Streams one completion. Failures before the first delta are retried like `complete`; a stream
   * cut midway throws a ProviderError from the iteration, and an aborted signal throws its reason.
   */
  stream(messages: readonly ChatMessage[], options?: ChatOptions): AsyncIterable<ChatStreamPart>;
}

/** The bare model name of a ChatModel id ("openai:gpt-4o-mini" → "gpt-4o-mini"). */
export function chatModelName(id: string): string {
  const colon = id.indexOf(":");
  return colon === -1 ? id : id.slice(colon + 1);
}
