// The Hono app: middleware, one sub-app per resource, errors as problem+json, and the OpenAPI document.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { LoreContext } from "@lore/core";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { routePath } from "hono/route";
import { timeout } from "hono/timeout";
import type { Logger } from "pino";
import { authentication } from "./access";
import type { AppEnv } from "./env";
import { hostGuard } from "./host-guard";
import { keyOriginCheck, keyOriginPreflight } from "./key-origins";
import { createMetrics } from "./metrics";
import { classify, logFailure, problemResponse, validationProblem } from "./problem";
import { askRoutes } from "./routes/ask";
import { collectionRoutes } from "./routes/collections";
import { conversationRoutes } from "./routes/conversations";
import { documentRoutes } from "./routes/documents";
import { feedbackRoutes } from "./routes/feedback";
import { healthRoutes } from "./routes/health";
import { ingestJobRoutes } from "./routes/ingest-jobs";
import { insightsRoutes } from "./routes/insights";
import { keyRoutes } from "./routes/keys";
import { mcpRoutes } from "./routes/mcp";
import { searchRoutes } from "./routes/search";
import { sourceRoutes } from "./routes/sources";
import { textHygiene } from "./text-hygiene";
import { webRoutes } from "./web/web-routes";
import { widgetRoutes } from "./web/widget-routes";

export interface AppOptions {
  context: LoreContext;
  logger: Logger;
  /** `required`: every /v1 route needs an API key (LORE_AUTH). */
  auth?: "off" | "required";
  /** Origins allowed to call the API from browsers (LORE_CORS_ORIGINS); empty: none. */
  corsOrigins?: readonly string[];
  /** Folders POST /v1/ingest-jobs may read (LORE_INGEST_ROOTS); none: folder ingest over HTTP is refused. */
  ingestRoots?: readonly string[];
  /** Folders only one collection may ingest (LORE_COLLECTION_INGEST_ROOTS), by collection. */
  collectionIngestRoots?: Readonly<Record<string, readonly string[]>>;
  /** With auth off, Host names served besides loopback ones (LORE_ALLOWED_HOSTS); "*": any. */
  allowedHosts?: readonly string[];
  /** Wrong API keys one address may present per minute before 429 (auth required). */
  failedAuthPerMinute?: number;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes?: number;
  /** A /v1 request still unanswered after this long gets a 504 (LORE_REQUEST_TIMEOUT_MS). */
  requestTimeoutMs?: number;
  /** The chat model's id, for token and cost metrics. */
  chatModel?: string;
  /** How long a conversation lives after its last message (LORE_CONVERSATION_TTL_MS). */
  conversationTtlMs?: number | undefined;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

/**
 * Refuses bodies over `maxBytes`. A declared Content-Length is checked from the header alone:
 * hono's bodyLimit first reads `c.req.raw.body`, which makes @hono/node-server build a full web
 * Request and stream the body through it, the costliest part of a small JSON request. Bodies
 * without one (chunked) are counted by bodyLimit as they arrive.
 */
function bodyLimitByLength(maxBytes: number): MiddlewareHandler<AppEnv> {
  const tooLarge = (c: Context<AppEnv>) =>
    problemResponse(c, "payload_too_large", "The request body is too large.");
  const streamed = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return async (c, next) => {
    const declared = c.req.header("content-length");
    if (declared === undefined || c.req.header("transfer-encoding") !== undefined) {
      return streamed(c, next);
    }
    if (Number.parseInt(declared, 10) > maxBytes) return tooLarge(c);
    await next();
  };
}

export function createApp(options: AppOptions): OpenAPIHono<AppEnv> {
  const { context, logger } = options;
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => (result.success ? undefined : validationProblem(c, result.error)),
  });

  const metrics = createMetrics(context);
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;

  app.use(requestId());
  app.use(async (c, next) => {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = c.res.status === 404 && routePath(c) === "/*" ? "unmatched" : routePath(c);
    metrics.observeRequest({ method: c.req.method, route, status: c.res.status }, seconds);
    logger.info(
      {
        requestId: c.get("requestId"),
        key: c.get("principal")?.name,
        method: c.req.method,
        route,
        status: c.res.status,
        ms: Math.round(seconds * 1000),
      },
      "request",
    );
  });
  // Without keys, anything that reaches the port is trusted: only let this machine's names and pages in.
  if (options.auth !== "required") {
    app.use(
      hostGuard({
        ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
        ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
      }),
    );
  }
  // Publishable keys (the widget): a preflight carries no key, so it is answered before any other CORS.
  if (options.auth === "required") {
    app.use("/v1/*", keyOriginPreflight(context, options.corsOrigins ?? []));
  }
  if (options.corsOrigins && options.corsOrigins.length > 0) {
    app.use(
      "/v1/*",
      cors({
        origin: [...options.corsOrigins],
        allowHeaders: ["authorization", "content-type", "accept"],
        exposeHeaders: ["x-request-id", "retry-after"],
        maxAge: 600,
      }),
    );
  }
  app.use("/v1/*", bodyLimitByLength(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES));
  app.use(
    "/v1/*",
    timeout(
      requestTimeoutMs,
      () =>
        new HTTPException(504, { message: `The request took longer than ${requestTimeoutMs} ms.` }),
    ),
  );
  app.use("/mcp", bodyLimitByLength(options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES));
  if (options.auth === "required") {
    const authenticate = authentication(
      context,
      options.failedAuthPerMinute === undefined
        ? {}
        : { failedAuthPerMinute: options.failedAuthPerMinute },
    );
    app.use("/v1/*", authenticate);
    // A publishable key's origins, once the key is known (its preflight is answered above).
    app.use("/v1/*", keyOriginCheck(options.corsOrigins ?? []));
    app.use("/mcp", authenticate);
  }
  app.use("/v1/*", textHygiene());
  const observeAnswers: MiddlewareHandler<AppEnv> = async (c, next) => {
    c.set("observeAnswer", (response) =>
      metrics.observeAnswer(response, options.chatModel ?? "none"),
    );
    await next();
  };
  app.use("/v1/ask", observeAnswers);
  app.use("/v1/conversations/:id/messages", observeAnswers);

  app.route("/", healthRoutes(context));
  app.route("/", askRoutes(context));
  app.route("/", conversationRoutes(context, { ttlMs: options.conversationTtlMs }));
  app.route("/", mcpRoutes(context, { conversationTtlMs: options.conversationTtlMs }));
  app.route("/", searchRoutes(context));
  app.route("/", collectionRoutes(context));
  app.route(
    "/",
    ingestJobRoutes(context, {
      roots: {
        shared: options.ingestRoots ?? [],
        byCollection: options.collectionIngestRoots ?? {},
      },
    }),
  );
  app.route(
    "/",
    sourceRoutes(context, {
      roots: {
        shared: options.ingestRoots ?? [],
        byCollection: options.collectionIngestRoots ?? {},
      },
    }),
  );
  app.route("/", documentRoutes(context));
  app.route("/", feedbackRoutes(context));
  app.route("/", keyRoutes(context));
  app.route("/", insightsRoutes(context));
  app.route("/", webRoutes({ auth: options.auth ?? "off" }));
  app.route("/", widgetRoutes());
  app.get("/metrics", async (c) =>
    c.body(await metrics.registry.metrics(), 200, {
      "content-type": metrics.registry.contentType,
    }),
  );

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Lore API", version: "0.1.0", description: "Answers with cited sources." },
  });

  app.notFound((c) =>
    problemResponse(c, "not_found", `No route for ${c.req.method} ${c.req.path}.`),
  );
  app.onError((error, c) => {
    const problem = classify(error);
    logFailure(logger, c.get("requestId"), error, problem.code);
    return problemResponse(c, problem.code, problem.detail, problem.retryAfterSeconds);
  });
  return app;
}
