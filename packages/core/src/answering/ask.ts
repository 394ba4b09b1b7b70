// The ask verb: rewrite a follow-up, retrieve, answer with enforced citations, log the query, time each stage.
import type { LoreContext } from "../context";
import { newId } from "../ids";
import { recordQuery } from "../queries/record-query";
import { fullTextQuery } from "../retrieval/full-text-query";
import { retrieve, roundMs } from "../retrieval/search";
import { type AnswerListener, generateAnswer, UsageMeter } from "./generate-answer";
import { rewriteQuestion } from "./rewrite-question";
import type { AskRequest, AskResponse } from "./schemas";
import { answeringSettings, costUsd } from "./settings";
import { collectionTermStatistics } from "./term-statistics";
import { preloadTokenizer, tokenCounter } from "./token-count";

export const DEFAULT_ASK_TOP_K = 6;
/** Rewriting a follow-up is a short call; it must not eat the answer's time. */
export const REWRITE_DEADLINE_MS = 8_000;

export interface AskOptions {
  /** The API key that asked, recorded on the query row; null for the CLI or with auth off. */
  keyId?: string | null;
  /** The client's signal: aborting it aborts the model call (a disconnected client). */
  signal?: AbortSignal;
}

/** A question whose retrieval is done: what can fail with a status code already has. */
export interface PreparedAsk {
  /** Generates (streaming to the listener when given), logs the query and returns the response. */
  answer(listener?: AnswerListener): Promise<AskResponse>;
}

export async function ask(
  context: LoreContext,
  request: AskRequest,
  options: AskOptions = {},
): Promise<AskResponse> {
  return (await prepareAsk(context, request, options)).answer();
}

export async function prepareAsk(
  context: LoreContext,
  request: AskRequest,
  options: AskOptions = {},
): Promise<PreparedAsk> {
  const started = performance.now();
  // The first answer of a process builds the tokenizer: overlap that with the retrieval.
  if (context.chat) void preloadTokenizer();
  const settings = answeringSettings(context.answering);
  const usage = new UsageMeter();
  const warnings: string[] = [];
  let question = request.question;
  let rewriteMs: number | undefined;
  if (context.chat && request.history && request.history.length > 0) {
    const rewriteStarted = performance.now();
    const deadline = AbortSignal.timeout(REWRITE_DEADLINE_MS);
    try {
      const rewritten = await rewriteQuestion(
        context.chat,
        question,
        request.history,
        options.signal ? AbortSignal.any([options.signal, deadline]) : deadline,
      );
      question = rewritten.question;
      const counter = await tokenCounter();
      await usage.add(
        rewritten.usage,
        () => counter.count(JSON.stringify(request.history)),
        question,
      );
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      warnings.push(
        `could not rewrite the follow-up question (${reason}); searched with it as asked`,
      );
    }
    rewriteMs = roundMs(performance.now() - rewriteStarted);
  }
  const retrieval = await retrieve(context, {
    ...(options.signal ? { signal: options.signal } : {}),
    query: question,
    collection: request.collection,
    topK: request.topK ?? DEFAULT_ASK_TOP_K,
    ...(request.filters ? { filters: request.filters } : {}),
  });
  // How rare the question's words are weighs the evidence; with nothing retrieved it is moot. The
  // words searched for are counted too: the parts of "401k" are how the documents write it.
  const statistics =
    retrieval.chunks.length > 0
      ? await collectionTermStatistics(context, request.collection, fullTextQuery(question))
      : undefined;

  return {
    answer: async (listener) => {
      const generateStarted = performance.now();
      const generated = await generateAnswer({
        chat: context.chat,
        settings,
        question,
        chunks: retrieval.chunks,
        ...(statistics ? { statistics } : {}),
        signal: options.signal,
        listener,
        usage,
      });
      const finished = performance.now();
      const { mode, warnings: generateWarnings, ...draft } = generated;
      const allWarnings = [...warnings, ...generateWarnings];
      const chat = context.chat;
      const response: AskResponse = {
        queryId: newId("qry"),
        ...draft,
        mode,
        timings: {
          ...(rewriteMs === undefined ? {} : { rewriteMs }),
          embedMs: retrieval.embedMs,
          retrieveMs: retrieval.retrieveMs,
          generateMs: roundMs(finished - generateStarted),
          totalMs: roundMs(finished - started),
        },
        ...(chat
          ? {
              usage: {
                promptTokens: usage.promptTokens,
                completionTokens: usage.completionTokens,
                costUsd: costUsd(settings.prices, chat.id, usage),
              },
            }
          : {}),
        ...(allWarnings.length > 0 ? { warnings: allWarnings } : {}),
      };
      await recordQuery(context, {
        collection: request.collection,
        question: request.question,
        response,
        model: chat?.id ?? null,
        keyId: options.keyId ?? null,
      });
      return response;
    },
  };
}
