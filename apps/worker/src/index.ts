// Lore's ingestion worker: a loop over the durable job queue, started by `lore worker` or `lore serve`.
export type { RunningWorker, WorkerOptions } from "./run-worker";
export { DEFAULT_WORKER_LEASE_MS, DEFAULT_WORKER_POLL_MS, runWorker } from "./run-worker";
