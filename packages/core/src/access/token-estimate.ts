// A conservative guess of the chat tokens one answer will use, for reserving a key's token quota before asking.
import { SYSTEM_PROMPT } from "../answering/grounded-prompt";
import type { AskRequest } from "../answering/schemas";
import { answeringSettings } from "../answering/settings";
import { tokensOfChars } from "../answering/token-count";
import type { LoreContext } from "../context";

/**
 * Prompt (system prompt, question, history and the full source budget) plus the longest answer;
 * a follow-up adds a rewrite call of about the same text. Extractive answers use no tokens: 0.
 */
export function estimateAskTokens(
  context: Pick<LoreContext, "chat" | "answering">,
  request: Pick<AskRequest, "question" | "history">,
): number {
  if (!context.chat) return 0;
  const settings = answeringSettings(context.answering);
  const historyChars = (request.history ?? []).reduce(
    (total, message) => total + message.content.length,
    0,
  );
  const textTokens = tokensOfChars(SYSTEM_PROMPT.length + request.question.length + historyChars);
  const answer = textTokens + settings.sourceTokens + settings.maxAnswerTokens;
  const rewrite = historyChars > 0 ? textTokens + settings.maxAnswerTokens : 0;
  return answer + rewrite;
}
