// POST /v1/ask: answer a question with cited sources, as JSON or as a server-sent event stream.
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import { AskRequest, AskResponse, ask, type LoreContext, prepareAsk } from "@lore/core";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { AppEnv } from "../env";
import { classify, Problem } from "../problem";
import { jsonBody, problems } from "./shared";

const route = createRoute({
  method: "post",
  path: "/v1/ask",
  summary: "Answer a question from the collection's documents, with citations",
  description:
    "With `stream: true` or `Accept: text/event-stream` the answer streams as server-sent events: `token` ({text}), `citations` ({citations}), `done` (the JSON response), and `error` ({code, message}: the text so far is replaced by `done`).",
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
    const options = { keyId: c.get("principal")?.keyId ?? null, signal: c.req.raw.signal };
    const observe = c.get("observeAnswer");
    if (!wantsStream(c, request.stream)) {
      const response = await ask(context, request, options);
      observe?.(response);
      return c.json(response, 200);
    }
    // Retrieval runs before the stream opens, so its failures still get their status code.
    const prepared = await prepareAsk(context, request, options);
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
  });
  return app;
}

function wantsStream(c: Context, stream: boolean | undefined): boolean {
  return stream ?? c.req.header("accept")?.includes("text/event-stream") ?? false;
}
