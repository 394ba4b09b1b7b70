// Embedders (and, later, chat models) behind small ports, configured by their callers.
export { type Embedder, ProviderError } from "./embedder";
export type { LocalEmbedderOptions } from "./local-embedder";
export { createLocalEmbedder, LOCAL_EMBEDDER_MODEL } from "./local-embedder";
export type { OpenAIEmbedderOptions } from "./openai-embedder";
export { createOpenAIEmbedder, toProviderError } from "./openai-embedder";
export type { RecordingEmbedder } from "./recording-embedder";
export { createRecordingEmbedder } from "./recording-embedder";
export { terms, words } from "./text-analysis";
