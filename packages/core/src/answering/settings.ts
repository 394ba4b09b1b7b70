// Defaults of LLM answering (prompt budget, deadline, evidence threshold, prices) and the cost of a call.
import { chatModelName } from "@lore/providers";
import type { AnsweringSettings, ChatPrice } from "../settings";
import { DEFAULT_MODEL_EVIDENCE_THRESHOLD } from "./evidence";

// List prices when written; LORE_CHAT_PRICES overrides or adds entries.
export const DEFAULT_CHAT_PRICES: Record<string, ChatPrice> = {
  "gpt-4o-mini": { input: 0.15, output: 0.6 },
  "gpt-4o": { input: 2.5, output: 10 },
  "gpt-4.1": { input: 2, output: 8 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6 },
  "gpt-4.1-nano": { input: 0.1, output: 0.4 },
};

export const DEFAULT_ANSWERING: AnsweringSettings = {
  sourceTokens: 6000,
  maxAnswerTokens: 800,
  deadlineMs: 45_000,
  evidence: DEFAULT_MODEL_EVIDENCE_THRESHOLD,
  prices: DEFAULT_CHAT_PRICES,
};

export function answeringSettings(overrides: Partial<AnsweringSettings> = {}): AnsweringSettings {
  return {
    ...DEFAULT_ANSWERING,
    ...overrides,
    prices: { ...DEFAULT_ANSWERING.prices, ...overrides.prices },
  };
}

export function costUsd(
  prices: Record<string, ChatPrice>,
  modelId: string,
  usage: { promptTokens: number; completionTokens: number },
): number {
  const price = prices[modelId] ?? prices[chatModelName(modelId)];
  if (!price) return 0;
  return (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1_000_000;
}
