// The ask verb: embed the question, retrieve, answer with citations, and time each stage.
import type { LoreContext } from "../context";
import type { AskRequest, AskResponse } from "../contract";
import { newId } from "../ids";
import { retrieve, roundMs } from "../retrieval/search";
import { extractiveAnswer } from "./extractive-answerer";

export const DEFAULT_ASK_TOP_K = 6;

export async function ask(context: LoreContext, request: AskRequest): Promise<AskResponse> {
  const started = performance.now();
  const retrieval = await retrieve(context, {
    query: request.question,
    collection: request.collection,
    topK: request.topK ?? DEFAULT_ASK_TOP_K,
    ...(request.filters ? { filters: request.filters } : {}),
  });
  const generateStarted = performance.now();
  const draft = extractiveAnswer(request.question, retrieval.chunks);
  const finished = performance.now();
  return {
    queryId: newId("qry"),
    ...draft,
    mode: "extractive",
    timings: {
      embedMs: retrieval.embedMs,
      retrieveMs: retrieval.retrieveMs,
      generateMs: roundMs(finished - generateStarted),
      totalMs: roundMs(finished - started),
    },
  };
}
