// Answers a prepared question as JSON or as a server-sent event stream, with the key's token quota reserved and settled.
import {
  type AskOptions,
  type AskRequest,
  type AskResponse,
  estimateAskTokens,
  type LoreContext,
  type PreparedAsk,
  type Principal,
  reserveTokens,
  settleTokens,
} from "@lore/core";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { AppEnv } from "../env";
import { classify } from "../problem";

export const STREAM_DESCRIPTION =
  "With `stream: true` or `Accept: text/event-stream` the answer streams as server-sent events: `token` ({text}), `citations` ({citations}), `done` (the JSON response), and `error` ({code, message}: the text so far is replaced by `done`).";

/**
 * Prepares a question within the key's daily token quota: the estimate is reserved before
 * asking, so concurrent asks cannot all pass it at once; retrieval runs next, and when it fails
 * the reservation is released. The returned answer() settles the reservation with the tokens
 * used; an answer cut short keeps its reservation (its usage is unknown).
 */
export async function prepareWithQuota(
  context: LoreContext,
  principal: Principal | undefined,
  request: AskRequest,
  prepare: (options: AskOptions) => Promise<PreparedAsk>,
  options: AskOptions,
): Promise<PreparedAsk> {
  const reservation = principal
    ? await reserveTokens(context, principal, estimateAskTokens(context, request))
    : undefined;
  const prepared = await prepare(options).catch(async (error: unknown) => {
    if (reservation) await settleTokens(context, reservation, 0);
    throw error;
  });
  return {
    answer: async (listener) => {
      let response: AskResponse | undefined;
      try {
        response = await prepared.answer(listener);
        return response;
      } finally {
        if (reservation && response) {
          const used = response.usage
            ? response.usage.promptTokens + response.usage.completionTokens
            : 0;
          await settleTokens(context, reservation, used);
        }
      }
    },
  };
}

/**
 * The one way a question is answered over HTTP (/v1/ask, conversation messages): retrieval runs
 * before the response starts, so its failures still get their status code; then the answer is
 * sent whole or streamed.
 */
export async function answerResponse(
  c: Context<AppEnv>,
  context: LoreContext,
  request: AskRequest,
  prepare: (options: AskOptions) => Promise<PreparedAsk>,
): Promise<Response> {
  const principal = c.get("principal");
  const options = { keyId: principal?.keyId ?? null, signal: c.req.raw.signal };
  const observe = c.get("observeAnswer");
  const prepared = await prepareWithQuota(context, principal, request, prepare, options);
  if (!wantsStream(c, request.stream)) {
    const response = await prepared.answer();
    observe?.(response);
    return c.json(response, 200);
  }
  return streamSSE(c, async (stream) => {
    const send = (event: string, data: unknown) =>
      stream.writeSSE({ event, data: JSON.stringify(data) });
    try {
      const response = await prepared.answer({
        onToken: (text) => send("token", { text }),
        onError: (error) => send("error", error),
      });
      observe?.(response);
      await send("citations", { citations: response.citations });
      await send("done", response);
    } catch (error) {
      if (c.req.raw.signal.aborted) return;
      const problem = classify(error);
      await send("error", { code: problem.code, message: problem.detail });
    }
  });
}

function wantsStream(c: Context, stream: boolean | undefined): boolean {
  return stream ?? c.req.header("accept")?.includes("text/event-stream") ?? false;
}
