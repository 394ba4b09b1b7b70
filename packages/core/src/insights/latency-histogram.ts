// Approximate latency percentiles from the histograms that migration 0011's lore_latency_bucket fills.

/**
 * Bucket 0 holds times below 0.1 ms; bucket b >= 1 holds [0.1 * 1.1^(b-1), 0.1 * 1.1^b): 10 %
 * wide, as lore_latency_bucket in migrations/0011_insights_rollups.sql assigns them.
 */
export interface HistogramBucket {
  count: number;
  /** The bucket's times summed. */
  sumMs: number;
}

/** Buckets by number, summed over the days and keys a report row covers. */
export type Histogram = Map<number, HistogramBucket>;

export function addToHistogram(
  histogram: Histogram,
  bucket: number,
  count: number,
  sumMs: number,
): void {
  const entry = histogram.get(bucket) ?? { count: 0, sumMs: 0 };
  entry.count += count;
  entry.sumMs += sumMs;
  histogram.set(bucket, entry);
}

/**
 * The `fraction` percentile as Postgres's percentile_cont computes it (linear between the two
 * nearest ranks), with each time replaced by the mean of its bucket: the mean and the time are in
 * one 10 % bucket, so the answer is within 10 % of the exact one (0.1 ms below 0.1 ms), and exact
 * when a bucket's times are equal. Null when the histogram is empty, like percentile_cont.
 */
export function histogramPercentile(histogram: Histogram, fraction: number): number | null {
  const buckets = [...histogram].filter(([, entry]) => entry.count > 0).sort(([a], [b]) => a - b);
  const total = buckets.reduce((sum, [, entry]) => sum + entry.count, 0);
  if (total === 0) return null;
  const rank = fraction * (total - 1);
  const valueAt = (position: number): number => {
    let seen = 0;
    let last = 0;
    for (const [, entry] of buckets) {
      seen += entry.count;
      last = entry.sumMs / entry.count;
      if (position < seen) return last;
    }
    return last;
  };
  const lower = Math.floor(rank);
  const low = valueAt(lower);
  return low + (valueAt(Math.ceil(rank)) - low) * (rank - lower);
}
