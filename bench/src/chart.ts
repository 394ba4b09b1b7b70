// Renders search latency against corpus size as a small standalone SVG (no network, no chart library).
import { z } from "zod";

const Latency = z.object({ p50: z.number(), p95: z.number() });

/** What the chart reads of a `bench scale` result (validated when read back from a file). */
export const ScaleChartInput = z.object({
  database: z.string(),
  dimensions: z.number(),
  hnsw: z.object({
    m: z.number().optional(),
    efConstruction: z.number().optional(),
    efSearch: z.array(z.number()),
  }),
  points: z.array(
    z.object({
      chunks: z.number(),
      exactMs: Latency,
      ann: z.array(z.object({ efSearch: z.number(), latencyMs: Latency })),
      searchVerbMs: Latency,
    }),
  ),
});
export type ScaleChartInput = z.infer<typeof ScaleChartInput>;

interface Series {
  label: string;
  color: string;
  points: { x: number; y: number }[];
}

const WIDTH = 720;
const HEIGHT = 320;
const MARGIN = { left: 56, top: 40, bottom: 48 };
const LEGEND_LEFT = 500;

export function scaleChartSvg(result: ScaleChartInput): string {
  const firstEf = result.hnsw.efSearch[0];
  const ann = (percentile: "p50" | "p95") =>
    result.points.map((point) => ({
      x: point.chunks,
      y: point.ann.find((entry) => entry.efSearch === firstEf)?.latencyMs[percentile] ?? 0,
    }));
  const series: Series[] = [
    {
      label: "/v1/search verb p50",
      color: "#1f77b4",
      points: result.points.map((point) => ({ x: point.chunks, y: point.searchVerbMs.p50 })),
    },
    {
      label: "/v1/search verb p95",
      color: "#aec7e8",
      points: result.points.map((point) => ({ x: point.chunks, y: point.searchVerbMs.p95 })),
    },
    { label: `HNSW ANN p50 (ef_search ${firstEf})`, color: "#d62728", points: ann("p50") },
    { label: `HNSW ANN p95 (ef_search ${firstEf})`, color: "#ff9896", points: ann("p95") },
    {
      label: "exact scan p50",
      color: "#7f7f7f",
      points: result.points.map((point) => ({ x: point.chunks, y: point.exactMs.p50 })),
    },
  ];
  const xs = result.points.map((point) => point.chunks);
  const ys = series.flatMap((line) => line.points.map((point) => point.y)).filter((y) => y > 0);
  // Log scales: sizes grow by decades and latencies span milliseconds to seconds.
  const xRange = decades(Math.min(...xs), Math.max(...xs));
  const yRange = decades(Math.min(...ys, 1), Math.max(...ys, 10));
  const plotWidth = LEGEND_LEFT - 24 - MARGIN.left;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const scale = (value: number, range: { low: number; high: number }) =>
    (Math.log10(Math.max(value, range.low)) - Math.log10(range.low)) /
    (Math.log10(range.high) - Math.log10(range.low));
  const px = (x: number) => MARGIN.left + scale(x, xRange) * plotWidth;
  const py = (y: number) => MARGIN.top + plotHeight - scale(y, yRange) * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<title>Search latency by corpus size: /v1/search verb, HNSW ANN and exact scan</title>`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${MARGIN.left}" y="14" font-size="13">Search latency (ms, log) by corpus size (chunks, log)</text>`,
    `<text x="${MARGIN.left}" y="27" fill="#555">${result.database}, ${result.dimensions} dims, ${result.hnsw.m === undefined ? "HNSW graph chosen by size" : `HNSW m=${result.hnsw.m} ef_construction=${result.hnsw.efConstruction}`}</text>`,
    `<line x1="${MARGIN.left}" y1="${py(yRange.low)}" x2="${px(xRange.high)}" y2="${py(yRange.low)}" stroke="black"/>`,
    `<line x1="${MARGIN.left}" y1="${py(yRange.low)}" x2="${MARGIN.left}" y2="${py(yRange.high)}" stroke="black"/>`,
  ];
  for (let value = yRange.low; value <= yRange.high; value *= 10) {
    parts.push(
      `<line x1="${MARGIN.left}" y1="${py(value)}" x2="${px(xRange.high)}" y2="${py(value)}" stroke="#eee"/>`,
      `<text x="${MARGIN.left - 6}" y="${py(value) + 4}" text-anchor="end">${formatNumber(value)}</text>`,
    );
  }
  for (const x of xs) {
    parts.push(
      `<text x="${px(x)}" y="${py(yRange.low) + 16}" text-anchor="middle">${formatNumber(x)}</text>`,
    );
  }
  parts.push(
    `<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 8}" text-anchor="middle">chunks</text>`,
  );
  series.forEach((line, index) => {
    const path = line.points
      .map((point) => `${px(point.x).toFixed(1)},${py(point.y).toFixed(1)}`)
      .join(" ");
    parts.push(`<polyline points="${path}" fill="none" stroke="${line.color}" stroke-width="2"/>`);
    for (const point of line.points) {
      parts.push(
        `<circle cx="${px(point.x).toFixed(1)}" cy="${py(point.y).toFixed(1)}" r="3" fill="${line.color}"/>`,
      );
    }
    const legendY = MARGIN.top + 8 + index * 16;
    parts.push(
      `<rect x="${LEGEND_LEFT}" y="${legendY - 8}" width="10" height="10" fill="${line.color}"/>`,
      `<text x="${LEGEND_LEFT + 14}" y="${legendY + 1}">${line.label}</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

/** The powers of ten just below the lowest value and just above the highest. */
function decades(lowest: number, highest: number): { low: number; high: number } {
  const low = 10 ** Math.floor(Math.log10(Math.max(lowest, 1e-3)));
  const high = 10 ** Math.ceil(Math.log10(Math.max(highest, low * 10)));
  return { low, high: high > low ? high : low * 10 };
}

function formatNumber(value: number): string {
  if (value >= 1000) return `${round1(value / 1000)}k`;
  return String(round1(value));
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
