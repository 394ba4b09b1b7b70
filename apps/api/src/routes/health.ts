// Liveness and readiness probes.
import { OpenAPIHono } from "@hono/zod-openapi";
import { databaseReady, type LoreContext } from "@lore/core";
import type { AppEnv } from "../env";
import { DATABASE_RETRY_AFTER_SECONDS, problemResponse } from "../problem";

/** A probe that waits longer than this (a pool waiting on an unreachable host) counts as down. */
const READINESS_TIMEOUT_MS = 2000;

export function healthRoutes(context: LoreContext): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>();
  // Liveness says only that the process serves: a database outage must not get it restarted.
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) =>
    (await withinDeadline(databaseReady(context), READINESS_TIMEOUT_MS))
      ? c.json({ status: "ready" })
      : problemResponse(
          c,
          "unavailable",
          "The database is not reachable.",
          DATABASE_RETRY_AFTER_SECONDS,
        ),
  );
  return app;
}

async function withinDeadline(probe: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([probe, late]);
  } finally {
    clearTimeout(timer);
  }
}
