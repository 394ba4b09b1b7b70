// POST /v1/ask: answer a question with cited sources, as JSON or as a server-sent event stream.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import {
  AskRequest,
  AskResponse,
  estimateAskTokens,
  type LoreContext,
  prepareAsk,
  reserveTokens,
  settleTokens,
} from "@lore/core";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import { requireScope, useCollection } from "../access";
import type { AppEnv } from "../env";
import { classify, Problem } from "../problem";
import { jsonBody, problems } from "./shared";

const route = createRoute({
  method: "post",
  path: "/v1/ask",
  summary: "Answer a question from the collection's documents, with citations",
  description:
    "With `stream: true` or `Accept: text/event-stream` the answer streams as server-sent events: `token` ({text}), `citations` ({citations}), `done` (the JSON response), and `error` ({code, message}: the text so far is replaced by `done`).",
  middleware: requireScope("ask"),
  request: { body: jsonBody(AskRequest) },
  responses: {
    200: {
      description: "The answer",
      content: {
        "application/json": { schema: AskResponse },
        "text/event-stream": { schema: z.string() },
      },
    },
    ...problems(Problem, [400, 401, 403, 404, 409, 413, 429, 503]),
  },
});

export function askRoutes(context: LoreContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(route, async (c) => {
    const request = c.req.valid("json");
    useCollection(c, request.collection);
    const principal = c.get("principal");
    const options = { keyId: principal?.keyId ?? null, signal: c.req.raw.signal };
    const observe = c.get("observeAnswer");
    // The quota is reserved before asking, so concurrent asks cannot all pass it at once.
    const reservation = principal
      ? await reserveTokens(context.db, principal, estimateAskTokens(context, request))
      : undefined;
    // Settles with the tokens used; an answer cut short keeps its reservation (usage unknown).
    const settle = async (response: AskResponse | undefined, release = false) => {
      if (!reservation || (!response && !release)) return;
      const used = response?.usage
        ? response.usage.promptTokens + response.usage.completionTokens
        : 0;
      await settleTokens(context.db, reservation, used);
    };
    // Retrieval runs first, so its failures still get their status code (and free the reservation).
    const prepared = await prepareAsk(context, request, options).catch(async (error: unknown) => {
      await settle(undefined, true);
      throw error;
    });
    if (!wantsStream(c, request.stream)) {
      let response: AskResponse | undefined;
      try {
        response = await prepared.answer();
      } finally {
        await settle(response);
      }
      observe?.(response);
      return c.json(response, 200);
    }
    return streamSSE(c, async (stream) => {
      const send = (event: string, data: unknown) =>
        stream.writeSSE({ event, data: JSON.stringify(data) });
      let answered: AskResponse | undefined;
      try {
        const response = await prepared.answer({
          onToken: (text) => send("token", { text }),
          onError: (error) => send("error", error),
        });
        answered = response;
        observe?.(response);
        await send("citations", { citations: response.citations });
        await send("done", response);
      } catch (error) {
        if (c.req.raw.signal.aborted) return;
        const problem = classify(error);
        await send("error", { code: problem.code, message: problem.detail });
      } finally {
        await settle(answered);
      }
    });
  });
  return app;
}

function wantsStream(c: Context, stream: boolean | undefined): boolean {
  return stream ?? c.req.header("accept")?.includes("text/event-stream") ?? false;
}
