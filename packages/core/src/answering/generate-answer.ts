// The answer stage: the chat model over a grounded prompt, enforced citations, abstention, and the extractive fallback.
import type { ChatModel, ChatUsage } from "@lore/providers";
import { CitationRewriter, type EnforcedAnswer } from "../citations/enforce-citations";
import type { ErrorCode } from "../errors";
import type { RetrievedChunk } from "../retrieval/hybrid-search";
import type { AnsweringSettings } from "../settings";
import { isTooWeak, retrievalEvidence } from "./evidence";
import { type DraftAnswer, extractiveAnswer, NOT_FOUND_ANSWER } from "./extractive-answerer";
import { buildGroundedPrompt, type GroundedPrompt, NO_ANSWER } from "./grounded-prompt";
import type { AskResponse } from "./schemas";
import type { TermStatistics } from "./term-statistics";
import { tokenCounter } from "./token-count";

/** Receives a streamed answer; both callbacks may return a promise to apply backpressure. */
export interface AnswerListener {
  /** A piece of answer text as it should be shown, citation markers included. */
  onToken?(text: string): unknown;
  /** The text shown so far is void (the stream was cut, or the output was unusable); `done` replaces it. */
  onError?(error: { code: ErrorCode; message: string }): unknown;
}

export interface GeneratedAnswer extends DraftAnswer {
  mode: AskResponse["mode"];
  droppedCitations: number;
  warnings: string[];
}

export interface GenerateInput {
  chat: ChatModel | undefined;
  settings: AnsweringSettings;
  question: string;
  chunks: readonly RetrievedChunk[];
  /** How rare the question's words are in the collection: weighs the evidence of the chunks. */
  statistics?: TermStatistics;
  /** The client's signal: when it aborts, so does the model call, and nothing degrades. */
  signal: AbortSignal | undefined;
  listener: AnswerListener | undefined;
  usage: UsageMeter;
}

/** Adds up the tokens of every model call made for one question. */
export class UsageMeter {
  promptTokens = 0;
  completionTokens = 0;

  /** Uses the provider's numbers, or counts the text locally when the server reported none. */
  async add(usage: ChatUsage | undefined, prompt: () => number, completion: string): Promise<void> {
    if (usage) {
      this.promptTokens += usage.promptTokens;
      this.completionTokens += usage.completionTokens;
      return;
    }
    const counter = await tokenCounter();
    this.promptTokens += prompt();
    this.completionTokens += counter.count(completion);
  }
}

type Outcome =
  | { kind: "answer"; enforced: EnforcedAnswer }
  | { kind: "abstain" }
  | { kind: "unusable"; reason: string };

const REPAIR_INSTRUCTION = `That reply cannot be used. Answer the question again following the rules: only facts from the sources, each claim cited inline with a source number like [1], or exactly ${NO_ANSWER} if the sources do not contain the answer.`;

export async function generateAnswer(input: GenerateInput): Promise<GeneratedAnswer> {
  const { chat, listener } = input;
  const evidence = retrievalEvidence(input.question, input.chunks, input.statistics);
  if (!chat) {
    const draft = extractiveAnswer(input.question, input.chunks, { evidence });
    await showWhole(listener, draft.answer);
    return { ...draft, mode: "extractive", droppedCitations: 0, warnings: [] };
  }
  // The same evidence that makes the extractive answer abstain: no call is paid for a question
  // the documents do not answer.
  if (isTooWeak(evidence, input.settings.evidence)) {
    await showWhole(listener, NOT_FOUND_ANSWER);
    return { ...abstention(), mode: "llm", droppedCitations: 0, warnings: [] };
  }

  const prompt = await buildGroundedPrompt(input.question, input.chunks, {
    sourceTokens: input.settings.sourceTokens,
  });
  const deadline = AbortSignal.timeout(input.settings.deadlineMs);
  const signal = input.signal ? AbortSignal.any([input.signal, deadline]) : deadline;
  const progress = { shown: false };
  let outcome: Outcome;
  try {
    outcome = listener?.onToken
      ? await streamAnswer(chat, prompt, input, signal, progress)
      : await completeAnswer(chat, prompt, input, signal);
  } catch (error) {
    if (input.signal?.aborted) throw error;
    const reason = deadline.aborted
      ? `the chat model did not answer within ${input.settings.deadlineMs} ms`
      : `the chat model failed: ${error instanceof Error ? error.message : String(error)}`;
    return fallback(input, progress.shown, reason);
  }
  switch (outcome.kind) {
    case "answer":
      return { ...outcome.enforced, abstained: false, mode: "llm", warnings: [] };
    case "abstain":
      // The model said NO_ANSWER after some text: what was shown is void.
      if (progress.shown) {
        await listener?.onError?.({ code: "not_found", message: NOT_FOUND_ANSWER });
      } else await showWhole(listener, NOT_FOUND_ANSWER);
      return { ...abstention(), mode: "llm", droppedCitations: 0, warnings: [] };
    case "unusable":
      return fallback(input, progress.shown, outcome.reason);
  }
}

async function completeAnswer(
  chat: ChatModel,
  prompt: GroundedPrompt,
  input: GenerateInput,
  signal: AbortSignal,
): Promise<Outcome> {
  const options = { signal, maxTokens: input.settings.maxAnswerTokens };
  const first = await chat.complete(prompt.messages, options);
  await input.usage.add(first.usage, () => prompt.promptTokens, first.text);
  const outcome = judge(first.text, prompt);
  if (outcome.kind !== "unusable") return outcome;
  // DESIGN.md: malformed model output gets one repair attempt, then the extractive answer.
  const repair = await chat.complete(
    [
      ...prompt.messages,
      ...(first.text.trim() ? [{ role: "assistant" as const, content: first.text }] : []),
      { role: "user", content: REPAIR_INSTRUCTION },
    ],
    options,
  );
  await input.usage.add(repair.usage, () => prompt.promptTokens * 2, repair.text);
  return judge(repair.text, prompt);
}

async function streamAnswer(
  chat: ChatModel,
  prompt: GroundedPrompt,
  input: GenerateInput,
  signal: AbortSignal,
  progress: { shown: boolean },
): Promise<Outcome> {
  const rewriter = new CitationRewriter(prompt.sources);
  const show = async (text: string) => {
    if (text === "") return;
    progress.shown = true;
    await input.listener?.onToken?.(text);
  };
  let raw = "";
  let usage: ChatUsage | undefined;
  // Held back while the reply could still be NO_ANSWER, which the client should never see.
  let deciding = true;
  try {
    for await (const part of chat.stream(prompt.messages, {
      signal,
      maxTokens: input.settings.maxAnswerTokens,
    })) {
      if (part.type === "finish") {
        usage = part.usage;
        continue;
      }
      raw += part.text;
      if (!deciding) await show(rewriter.push(part.text));
      else if (!NO_ANSWER.startsWith(raw.trim())) {
        deciding = false;
        await show(rewriter.push(raw.trimStart()));
      }
    }
  } finally {
    await input.usage.add(usage, () => prompt.promptTokens, raw);
  }
  if (deciding) return judge(raw, prompt);
  await show(rewriter.flush());
  return judgeEnforced(raw, rewriter.result());
}

function judge(text: string, prompt: GroundedPrompt): Outcome {
  const rewriter = new CitationRewriter(prompt.sources);
  rewriter.push(text);
  rewriter.flush();
  return judgeEnforced(text, rewriter.result());
}

function judgeEnforced(raw: string, enforced: EnforcedAnswer): Outcome {
  if (raw.trim() === "")
    return { kind: "unusable", reason: "the chat model returned an empty answer" };
  if (new RegExp(`\\b${NO_ANSWER}\\b`).test(raw)) return { kind: "abstain" };
  if (enforced.citations.length === 0) {
    return { kind: "unusable", reason: "the chat model's answer cited none of the sources" };
  }
  return { kind: "answer", enforced };
}

async function fallback(
  input: GenerateInput,
  shown: boolean,
  reason: string,
): Promise<GeneratedAnswer> {
  const message = `${reason.replace(/[.\s]+$/, "")}; answered extractively instead`;
  if (shown) await input.listener?.onError?.({ code: "provider_unavailable", message });
  const draft = extractiveAnswer(input.question, input.chunks, {
    ...(input.statistics ? { statistics: input.statistics } : {}),
  });
  // After an error event the client waits for `done`; otherwise it sees the fallback stream in.
  if (!shown) await showWhole(input.listener, draft.answer);
  return { ...draft, mode: "extractive-fallback", droppedCitations: 0, warnings: [message] };
}

function abstention(): DraftAnswer {
  return { answer: NOT_FOUND_ANSWER, abstained: true, citations: [] };
}

/** Streams a finished answer word by word, so every mode looks the same to a streaming client. */
async function showWhole(listener: AnswerListener | undefined, text: string): Promise<void> {
  if (!listener?.onToken) return;
  for (const piece of text.match(/\s*\S+\s*/g) ?? []) await listener.onToken(piece);
}
