// Chat completions from any OpenAI-compatible server (OpenAI, Azure, Ollama, vLLM, llama.cpp) through the openai SDK.
import { setTimeout as sleep } from "node:timers/promises";
import OpenAI from "openai";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { ChatMessage, ChatModel, ChatOptions, ChatStreamPart, ChatUsage } from "./chat-model";
import { toProviderError } from "./openai-errors";
import { ProviderError } from "./provider-error";

export interface OpenAIChatModelOptions {
  model: string;
  apiKey?: string;
  baseUrl?: string;
  /** Per attempt, until the response starts. */
  timeoutMs?: number;
  /** Retries after the first attempt, on 408/409/429/5xx, network errors, timeouts and malformed bodies. */
  maxRetries?: number;
  temperature?: number;
  maxTokens?: number;
}

export const DEFAULT_CHAT_TIMEOUT_MS = 20_000;
export const DEFAULT_CHAT_RETRIES = 2;
const DEFAULT_MAX_TOKENS = 1024;
// Base of the backoff for failures the SDK does not retry itself (malformed JSON, a cut body).
const RETRY_BASE_MS = 250;

export function createOpenAIChatModel(options: OpenAIChatModelOptions): ChatModel {
  const maxRetries = options.maxRetries ?? DEFAULT_CHAT_RETRIES;
  const client = new OpenAI({
    // Local servers (Ollama, vLLM) accept any key; the SDK insists on one.
    apiKey: options.apiKey ?? "unused",
    ...(options.baseUrl ? { baseURL: options.baseUrl } : {}),
    timeout: options.timeoutMs ?? DEFAULT_CHAT_TIMEOUT_MS,
    // The SDK retries 408/409/429/5xx, connection errors and timeouts with jittered exponential
    // backoff, honouring Retry-After; what it does not retry is handled in `withRetries`.
    maxRetries,
  });
  const parameters = (messages: readonly ChatMessage[], chatOptions: ChatOptions) => ({
    model: options.model,
    messages: messages.map((message): ChatCompletionMessageParam => ({ ...message })),
    temperature: chatOptions.temperature ?? options.temperature ?? 0,
    max_tokens: chatOptions.maxTokens ?? options.maxTokens ?? DEFAULT_MAX_TOKENS,
  });

  return {
    id: `openai:${options.model}`,
    complete: (messages, chatOptions = {}) =>
      withRetries(maxRetries, chatOptions.signal, async () => {
        const completion = await client.chat.completions.create(
          parameters(messages, chatOptions),
          chatOptions.signal ? { signal: chatOptions.signal } : {},
        );
        const text = completion.choices[0]?.message?.content;
        if (typeof text !== "string") {
          throw new ProviderError("the chat server returned no message content", true);
        }
        return { text, usage: toUsage(completion.usage) };
      }),
    stream: (messages, chatOptions = {}) =>
      streamParts(chatOptions, () =>
        withRetries(maxRetries, chatOptions.signal, () =>
          client.chat.completions.create(
            {
              ...parameters(messages, chatOptions),
              stream: true,
              stream_options: { include_usage: true },
            },
            chatOptions.signal ? { signal: chatOptions.signal } : {},
          ),
        ),
      ),
  };
}

async function* streamParts(
  options: ChatOptions,
  open: () => Promise<AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>>,
): AsyncGenerator<ChatStreamPart> {
  const chunks = await open();
  let usage: ChatUsage | undefined;
  try {
    for await (const chunk of chunks) {
      const text = chunk.choices[0]?.delta?.content;
      if (text) yield { type: "delta", text };
      if (chunk.usage) usage = toUsage(chunk.usage);
    }
  } catch (error) {
    throwIfAborted(options.signal);
    // A body cut midway surfaces as a raw TypeError ("terminated"); deltas were already handed out.
    throw new ProviderError(`the chat stream was cut: ${describe(error)}`, true, { cause: error });
  }
  // The SDK ends an aborted stream quietly; a partial answer must not pass for a whole one.
  throwIfAborted(options.signal);
  yield { type: "finish", usage };
}

/**
 * Runs one SDK call (which retries HTTP failures itself), and retries the failures it surfaces
 * raw — a malformed JSON body (SyntaxError) or a body cut midway (TypeError) — with the same bound.
 */
async function withRetries<Result>(
  maxRetries: number,
  signal: AbortSignal | undefined,
  attempt: () => Promise<Result>,
): Promise<Result> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (error) {
      throwIfAborted(signal);
      const raw = error instanceof SyntaxError || error instanceof TypeError;
      if (!raw || retry >= maxRetries) {
        throw raw
          ? new ProviderError(`malformed response from the chat server: ${describe(error)}`, true, {
              cause: error,
            })
          : toProviderError(error);
      }
      const backoff = RETRY_BASE_MS * 2 ** retry;
      await sleep(backoff * (1 - Math.random() * 0.25), undefined, signal ? { signal } : {});
    }
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}

function toUsage(
  usage: OpenAI.Completions.CompletionUsage | null | undefined,
): ChatUsage | undefined {
  return usage
    ? { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens }
    : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
