// The Hono app: middleware, one sub-app per resource, errors as problem+json, and the OpenAPI document.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { LoreContext } from "@lore/core";
import { bodyLimit } from "hono/body-limit";
import { requestId } from "hono/request-id";
import type { Logger } from "pino";
import type { AppEnv } from "./env";
import { classify, problemResponse, validationProblem } from "./problem";
import { askRoutes } from "./routes/ask";
import { collectionRoutes } from "./routes/collections";
import { healthRoutes } from "./routes/health";
import { searchRoutes } from "./routes/search";

export interface AppOptions {
  context: LoreContext;
  logger: Logger;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export function createApp(options: AppOptions): OpenAPIHono<AppEnv> {
  const { context, logger } = options;
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => (result.success ? undefined : validationProblem(c, result.error)),
  });

  app.use(requestId());
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    logger.info(
      {
        requestId: c.get("requestId"),
        method: c.req.method,
        route: c.req.routePath,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      "request",
    );
  });
  app.use(
    "/v1/*",
    bodyLimit({
      maxSize: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      onError: (c) => problemResponse(c, "payload_too_large", "The request body is too large."),
    }),
  );

  app.route("/", healthRoutes(context));
  app.route("/", askRoutes(context));
  app.route("/", searchRoutes(context));
  app.route("/", collectionRoutes(context));

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Lore API", version: "0.1.0", description: "Answers with cited sources." },
  });

  app.notFound((c) =>
    problemResponse(c, "not_found", `No route for ${c.req.method} ${c.req.path}.`),
  );
  app.onError((error, c) => {
    const problem = classify(error);
    if (problem.code === "internal" || problem.code === "provider_unavailable") {
      logger.error({ requestId: c.get("requestId"), err: error }, "request failed");
    }
    return problemResponse(c, problem.code, problem.detail, problem.retryAfterSeconds);
  });
  return app;
}
