import type { ChatModel, ChatStreamPart } from "@lore/providers";
import { describe, expect, it } from "vitest";
import type { RetrievedChunk } from "../retrieval/hybrid-search";
import { NOT_FOUND_ANSWER } from "./extractive-answerer";
import { generateAnswer, UsageMeter } from "./generate-answer";
import { DEFAULT_ANSWERING } from "./settings";

const chunks: RetrievedChunk[] = [
  {
    chunkId: "chk_deploy",
    documentId: "doc_deploy",
    source: "deploy.md",
    title: "Deploy guide",
    heading: "Deploy guide > Rolling back",
    startLine: 3,
    endLine: 4,
    text: "To roll back a bad release, run the undo command.",
    score: 0.03,
    similarity: 0.4,
    textRank: 1,
  },
];

/** A chat model that streams `reply` word by word and completes with it whole. */
function scripted(reply: string): ChatModel {
  return {
    id: "test:scripted",
    complete: async () => ({ text: reply, usage: { promptTokens: 10, completionTokens: 3 } }),
    stream: async function* (): AsyncGenerator<ChatStreamPart> {
      for (const word of reply.match(/\s*\S+\s*/g) ?? []) yield { type: "delta", text: word };
      yield { type: "finish", usage: undefined };
    },
  };
}

async function streamed(reply: string) {
  const tokens: string[] = [];
  const errors: string[] = [];
  const usage = new UsageMeter();
  const answer = await generateAnswer({
    chat: scripted(reply),
    settings: DEFAULT_ANSWERING,
    question: "How do I roll back a bad release?",
    chunks,
    signal: undefined,
    listener: {
      onToken: (text) => tokens.push(text),
      onError: (error) => errors.push(error.code),
    },
    usage,
  });
  return { answer, tokens, errors, usage };
}

describe("generateAnswer, streaming", () => {
  it("never shows NO_ANSWER: the client sees the plain abstention sentence", async () => {
    const { answer, tokens, errors } = await streamed("NO_ANSWER");
    expect(answer).toMatchObject({ abstained: true, answer: NOT_FOUND_ANSWER, mode: "llm" });
    expect(tokens.join("")).toBe(NOT_FOUND_ANSWER);
    expect(errors).toEqual([]);
  });

  it("voids text already shown when the model ends with NO_ANSWER", async () => {
    const { answer, tokens, errors } = await streamed("Hmm, let me see. NO_ANSWER");
    expect(tokens.join("")).toContain("let me see");
    expect(errors).toEqual(["not_found"]);
    expect(answer.abstained).toBe(true);
  });

  it("counts tokens locally when the server reports no usage", async () => {
    const { answer, usage } = await streamed("Run the undo command [1].");
    expect(answer).toMatchObject({ mode: "llm", answer: "Run the undo command [1]." });
    expect(usage.promptTokens).toBeGreaterThan(50);
    expect(usage.completionTokens).toBeGreaterThan(3);
  });

  it("replaces an answer that cites no source with the extractive one, after an error event", async () => {
    const { answer, errors } = await streamed("Just restart everything, it always works.");
    expect(errors).toEqual(["provider_unavailable"]);
    expect(answer.mode).toBe("extractive-fallback");
    expect(answer.warnings[0]).toMatch(/cited none of the sources/);
    expect(answer.citations[0]?.source).toBe("deploy.md");
  });
});

describe("generateAnswer, evidence before the model", () => {
  const ask = async (question: string) => {
    let calls = 0;
    const model = scripted("Run the undo command [1].");
    const counting: ChatModel = {
      ...model,
      complete: (...parameters) => {
        calls++;
        return model.complete(...parameters);
      },
    };
    const answer = await generateAnswer({
      chat: counting,
      settings: DEFAULT_ANSWERING,
      question,
      chunks,
      signal: undefined,
      listener: undefined,
      usage: new UsageMeter(),
    });
    return { answer, calls };
  };

  it("abstains without a call when a name asked about is in no retrieved document", async () => {
    const { answer, calls } = await ask("How do I roll back a bad release in Kubernetes?");
    expect(answer).toMatchObject({ abstained: true, answer: NOT_FOUND_ANSWER, mode: "llm" });
    expect(calls).toBe(0);
  });

  it("abstains without a call when the passages share no rare word with the question", async () => {
    const { answer, calls } = await ask("What is the airspeed velocity of an unladen swallow?");
    expect(answer.abstained).toBe(true);
    expect(calls).toBe(0);
  });

  it("calls the model when the passage covers the question, even in other words", async () => {
    const { answer, calls } = await ask("How can I undo a broken release?");
    expect(answer).toMatchObject({ abstained: false, mode: "llm" });
    expect(calls).toBe(1);
  });
});
