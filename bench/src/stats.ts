// Percentiles and rounding shared by the benchmarks.

/** The p-th percentile (0-100) of the samples, nearest-rank; 0 for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((left, right) => left - right);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function round(value: number, digits = 1): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export function latencySummary(samplesMs: readonly number[]): {
  p50: number;
  p95: number;
  p99: number;
} {
  return {
    p50: round(percentile(samplesMs, 50), 2),
    p95: round(percentile(samplesMs, 95), 2),
    p99: round(percentile(samplesMs, 99), 2),
  };
}

/** Writes a progress line to stderr: stdout is kept for the one JSON result. */
export function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}
