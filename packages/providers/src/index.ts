// Embedders and chat models behind small ports, configured by their callers.
export type {
  ChatCompletion,
  ChatMessage,
  ChatModel,
  ChatOptions,
  ChatStreamPart,
  ChatUsage,
} from "./chat-model";
export { chatModelName } from "./chat-model";
export type { RecordedChatCall, RecordingChatModel } from "./chat-recording";
export { createRecordingChatModel } from "./chat-recording";
export type { Embedder } from "./embedder";
export type { LocalEmbedderOptions } from "./local-embedder";
export { createLocalEmbedder, LOCAL_EMBEDDER_MODEL } from "./local-embedder";
export type { OpenAIChatModelOptions } from "./openai-chat-model";
export {
  createOpenAIChatModel,
  DEFAULT_CHAT_RETRIES,
  DEFAULT_CHAT_TIMEOUT_MS,
} from "./openai-chat-model";
export type { OpenAIEmbedderOptions } from "./openai-embedder";
export { createOpenAIEmbedder } from "./openai-embedder";
export { toProviderError } from "./openai-errors";
export { ProviderError } from "./provider-error";
export type { RecordingEmbedder } from "./recording-embedder";
export { createRecordingEmbedder } from "./recording-embedder";
export { matchTerms, terms, words } from "./text-analysis";
