// Turns a follow-up question into a standalone one from the conversation so far (one cheap model call).
import type { ChatModel, ChatUsage } from "@lore/providers";
import { MAX_QUESTION_LENGTH } from "../retrieval/schemas";
import type { HistoryMessage } from "./schemas";

const REWRITE_PROMPT = `Rewrite the user's follow-up question as a single standalone question that can be understood without the conversation, keeping names, numbers and terms from the conversation that it refers to. Do not answer it. Reply with the question only.`;
const REWRITE_MAX_TOKENS = 200;

export interface RewrittenQuestion {
  question: string;
  usage: ChatUsage | undefined;
}

export async function rewriteQuestion(
  chat: ChatModel,
  question: string,
  history: readonly HistoryMessage[],
  signal?: AbortSignal,
): Promise<RewrittenQuestion> {
  const conversation = history
    .map((message) => `${message.role === "user" ? "User" : "Assistant"}: ${message.content}`)
    .join("\n");
  const completion = await chat.complete(
    [
      { role: "system", content: REWRITE_PROMPT },
      {
        role: "user",
        content: `<conversation>\n${conversation}\n</conversation>\n\nFollow-up question: ${question}`,
      },
    ],
    { maxTokens: REWRITE_MAX_TOKENS, ...(signal ? { signal } : {}) },
  );
  const rewritten = completion.text
    .trim()
    .replace(/^(?:standalone question:\s*)/i, "")
    .replace(/^["'“](.*)["'”]$/s, "$1")
    .trim();
  // A reply that is empty or rambles is no better than the question as asked.
  const usable = rewritten.length > 0 && rewritten.length <= MAX_QUESTION_LENGTH;
  return { question: usable ? rewritten : question, usage: completion.usage };
}
