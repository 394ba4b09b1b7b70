// The fake OpenAI-compatible embedding server as a child process, and what its records say about the calls made.

import { fileURLToPath } from "node:url";
import { z } from "zod";
import { type Background, startBackground, waitFor } from "./processes";

const FAKE_MAIN = fileURLToPath(new URL("../../fixtures/fake-openai/src/main.ts", import.meta.url));

const FakeState = z.object({
  counts: z.object({ embeddings: z.number(), embeddedTexts: z.number() }),
  requests: z.array(
    z.object({
      endpoint: z.string(),
      at: z.number(),
      status: z.number(),
      body: z.object({ input: z.unknown() }).partial(),
    }),
  ),
});

export interface EmbeddingCalls {
  calls: number;
  texts: number;
  batchSizes: { min: number; max: number; mean: number };
  /** Most requests that arrived within one latency window: how many were in flight at once. */
  maxInFlight: number;
  /** Date.now() of the first request and of the last answer (arrival + latency); 0 without calls. */
  firstAt: number;
  lastDoneAt: number;
}

export interface FakeEmbeddings {
  baseUrl: string;
  /** The server's process, whose CPU time is part of what a run costs the machine. */
  pid: number | undefined;
  /** What was called since the last reset. */
  calls(): Promise<EmbeddingCalls>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A separate process, so computing fake vectors never stalls the database or the client measured;
 * every call sleeps `latencyMs` (concurrent calls sleep concurrently), like a remote API.
 */
export async function startFakeEmbeddings(options: {
  latencyMs: number;
  dimensions: number;
}): Promise<FakeEmbeddings> {
  const server: Background = startBackground(
    FAKE_MAIN,
    [
      "--port",
      "0",
      "--embedding-latency-ms",
      String(options.latencyMs),
      "--dimensions",
      String(options.dimensions),
    ],
    process.env,
  );
  let url = "";
  await waitFor(
    async () => {
      const match = /"url":"([^"]+)"/.exec(server.output());
      if (match?.[1]) url = match[1];
      return url !== "";
    },
    30_000,
    () => (server.child.exitCode === null ? undefined : `fake-openai exited: ${server.output()}`),
  );
  return {
    baseUrl: `${url}/v1`,
    pid: server.child.pid,
    calls: async () => {
      const response = await fetch(`${url}/__control/state`);
      const state = FakeState.parse(await response.json());
      const embeddings = state.requests.filter(
        (request) => request.endpoint === "embeddings" && request.status === 200,
      );
      const sizes = embeddings.map((request) =>
        Array.isArray(request.body.input) ? request.body.input.length : 1,
      );
      const arrivals = embeddings.map((request) => request.at).sort((left, right) => left - right);
      let maxInFlight = 0;
      for (const [index, at] of arrivals.entries()) {
        const window = arrivals
          .slice(0, index + 1)
          .filter((other) => other > at - options.latencyMs);
        maxInFlight = Math.max(maxInFlight, window.length);
      }
      return {
        calls: state.counts.embeddings,
        texts: state.counts.embeddedTexts,
        batchSizes: {
          min: sizes.length ? Math.min(...sizes) : 0,
          max: sizes.length ? Math.max(...sizes) : 0,
          mean: sizes.length
            ? Math.round(sizes.reduce((sum, size) => sum + size, 0) / sizes.length)
            : 0,
        },
        maxInFlight,
        firstAt: arrivals[0] ?? 0,
        lastDoneAt: arrivals.length ? (arrivals.at(-1) ?? 0) + options.latencyMs : 0,
      };
    },
    reset: async () => {
      await fetch(`${url}/__control/reset`, { method: "POST" });
    },
    close: () => server.stop(),
  };
}
