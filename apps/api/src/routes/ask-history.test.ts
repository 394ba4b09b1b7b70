// POST /v1/ask with conversation history: follow-up rewriting and the history limit.
import { describe, expect, it } from "vitest";
import { Problem } from "../problem";
import { ROLLBACK, sourceNumber, useAskServer } from "./ask-testing";

describe("POST /v1/ask with an OpenAI-compatible chat model", () => {
  const ask = useAskServer();

  it("rewrites a follow-up into a standalone question and retrieves with it", async () => {
    const standalone = "How do I roll back a bad ledger-api release?";
    ask.fake.chat.reply((request) => {
      expect(request.messages[0]?.content).toMatch(/standalone question/);
      expect(request.messages[1]?.content).toContain("ledger-api");
      return standalone;
    });
    ask.fake.chat.reply((request) => `Use undo [${sourceNumber(request, "deploy.md")}].`);
    const body = await ask.askJson({
      question: "And how do I undo it?",
      history: [
        { role: "user", content: "What happens when we release ledger-api?" },
        { role: "assistant", content: "It goes out as a canary first." },
      ],
    });
    expect(ask.embedder.calls).toEqual([[standalone]]);
    expect(ask.chat.calls[1]?.messages[1]?.content).toContain(`Question: ${standalone}`);
    expect(body.mode).toBe("llm");
    expect(body.timings.rewriteMs).toBeGreaterThanOrEqual(0);
    expect(ask.fake.counts.chat).toBe(2);
  });

  it("refuses an over-long history with a 400 and calls nothing", async () => {
    const history = Array.from({ length: 21 }, () => ({ role: "user", content: "hi" }));
    const response = await ask.post({ question: ROLLBACK, history });
    expect(response.status).toBe(400);
    expect(Problem.parse(await response.json()).detail).toMatch(/history/);
    expect(ask.fake.counts.chat).toBe(0);
    expect(ask.embedder.calls).toEqual([]);
  });
});
