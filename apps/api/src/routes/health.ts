// Liveness and readiness probes.
import { OpenAPIHono } from "@hono/zod-openapi";
import { databaseReady, type LoreContext } from "@lore/core";
import type { AppEnv } from "../env";
import { problemResponse } from "../problem";

export function healthRoutes(context: LoreContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) =>
    (await databaseReady(context))
      ? c.json({ status: "ready" })
      : problemResponse(c, "unavailable", "The database is not reachable.", 5),
  );
  return app;
}
