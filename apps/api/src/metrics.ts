// Prometheus metrics for one app instance: HTTP traffic, ask stages, tokens and cost, ingest jobs.
import {
  type AskResponse,
  ingestQueueAgeSeconds,
  jobCountsByStatus,
  type LoreContext,
} from "@lore/core";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

export interface Metrics {
  registry: Registry;
  observeRequest(labels: { method: string; route: string; status: number }, seconds: number): void;
  observeAnswer(response: AskResponse, model: string): void;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(context: LoreContext): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: "lore_http_requests_total",
    help: "HTTP requests by route and status",
    labelNames: ["method", "route", "status"],
    registers: [registry],
  });
  const latency = new Histogram({
    name: "lore_http_request_duration_seconds",
    help: "HTTP request latency by route and status",
    labelNames: ["method", "route", "status"],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const stages = new Histogram({
    name: "lore_ask_stage_duration_seconds",
    help: "Time spent in each stage of answering a question",
    labelNames: ["stage"],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const answers = new Counter({
    name: "lore_answers_total",
    help: "Answers by mode and whether they abstained",
    labelNames: ["mode", "abstained"],
    registers: [registry],
  });
  const tokens = new Counter({
    name: "lore_llm_tokens_total",
    help: "Chat model tokens by model and kind",
    labelNames: ["model", "kind"],
    registers: [registry],
  });
  const cost = new Counter({
    name: "lore_llm_cost_usd_total",
    help: "Estimated chat model cost in US dollars, by model",
    labelNames: ["model"],
    registers: [registry],
  });
  new Gauge({
    name: "lore_ingest_jobs",
    help: "Ingest jobs by status (queued is the queue depth)",
    labelNames: ["status"],
    registers: [registry],
    async collect() {
      const counts = await jobCountsByStatus(context).catch(() => ({}));
      this.reset();
      for (const status of ["queued", "running", "succeeded", "failed", "cancelled"]) {
        this.set({ status }, (counts as Record<string, number>)[status] ?? 0);
      }
    },
  });

  // For a queue-age alert: a queue that is not drained (no worker, a stuck one) grows old.
  new Gauge({
    name: "lore_ingest_queue_oldest_seconds",
    help: "Seconds the oldest runnable queued ingest job has waited (0: none)",
    registers: [registry],
    async collect() {
      this.set(await ingestQueueAgeSeconds(context).catch(() => 0));
    },
  });

  return {
    registry,
    observeRequest: (labels, seconds) => {
      const values = { ...labels, status: String(labels.status) };
      requests.inc(values);
      latency.observe(values, seconds);
    },
    observeAnswer: (response, model) => {
      const { embedMs, retrieveMs, generateMs, totalMs } = response.timings;
      stages.observe({ stage: "embed" }, embedMs / 1000);
      stages.observe({ stage: "retrieve" }, retrieveMs / 1000);
      stages.observe({ stage: "generate" }, generateMs / 1000);
      stages.observe({ stage: "total" }, totalMs / 1000);
      answers.inc({ mode: response.mode, abstained: String(response.abstained) });
      if (response.usage) {
        tokens.inc({ model, kind: "prompt" }, response.usage.promptTokens);
        tokens.inc({ model, kind: "completion" }, response.usage.completionTokens);
        cost.inc({ model }, response.usage.costUsd);
      }
    },
  };
}
