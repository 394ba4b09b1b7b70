// A recording fake of the ChatModel port: delegates, and records each call's messages and whether it was aborted.
import type { ChatMessage, ChatModel, ChatOptions } from "./chat-model";

export interface RecordedChatCall {
  kind: "complete" | "stream";
  messages: ChatMessage[];
  options: Omit<ChatOptions, "signal">;
  /** True once the caller's signal aborted while the call was running. */
  aborted: boolean;
}

export interface RecordingChatModel extends ChatModel {
  readonly calls: RecordedChatCall[];
}

export function createRecordingChatModel(inner: ChatModel): RecordingChatModel {
  const calls: RecordedChatCall[] = [];
  const record = (
    kind: RecordedChatCall["kind"],
    messages: readonly ChatMessage[],
    options: ChatOptions,
  ) => {
    const { signal, ...rest } = options;
    const call: RecordedChatCall = { kind, messages: [...messages], options: rest, aborted: false };
    calls.push(call);
    const onAbort = () => {
      call.aborted = true;
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    return () => signal?.removeEventListener("abort", onAbort);
  };
  return {
    id: inner.id,
    calls,
    complete: async (messages, options = {}) => {
      const done = record("complete", messages, options);
      try {
        return await inner.complete(messages, options);
      } finally {
        done();
      }
    },
    stream: async function* (messages, options = {}) {
      const done = record("stream", messages, options);
      try {
        yield* inner.stream(messages, options);
      } finally {
        done();
      }
    },
  };
}
