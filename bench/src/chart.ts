// Renders search latency against corpus size as a small standalone SVG (no network, no chart library).
import type { ScaleBenchResult } from "./scale-bench";

interface Series {
  label: string;
  color: string;
  points: { x: number; y: number }[];
}

const WIDTH = 560;
const HEIGHT = 320;
const MARGIN = { left: 56, right: 16, top: 40, bottom: 48 };

export function scaleChartSvg(result: ScaleBenchResult): string {
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
  const maxX = Math.max(1, ...xs);
  const maxY = niceCeiling(
    Math.max(1, ...series.flatMap((line) => line.points.map((point) => point.y))),
  );
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const px = (x: number) => MARGIN.left + (x / maxX) * plotWidth;
  const py = (y: number) => MARGIN.top + plotHeight - (y / maxY) * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${MARGIN.left}" y="14" font-size="13">Search latency (ms) by corpus size (chunks)</text>`,
    `<text x="${MARGIN.left}" y="27" fill="#555">${result.database}, ${result.dimensions} dims, HNSW m=${result.hnsw.m} ef_construction=${result.hnsw.efConstruction}</text>`,
    `<line x1="${MARGIN.left}" y1="${py(0)}" x2="${px(maxX)}" y2="${py(0)}" stroke="black"/>`,
    `<line x1="${MARGIN.left}" y1="${py(0)}" x2="${MARGIN.left}" y2="${py(maxY)}" stroke="black"/>`,
  ];
  for (let tick = 0; tick <= 4; tick++) {
    const value = (maxY / 4) * tick;
    parts.push(
      `<line x1="${MARGIN.left}" y1="${py(value)}" x2="${px(maxX)}" y2="${py(value)}" stroke="#eee"/>`,
      `<text x="${MARGIN.left - 6}" y="${py(value) + 4}" text-anchor="end">${formatNumber(value)}</text>`,
    );
  }
  for (const x of xs) {
    parts.push(
      `<text x="${px(x)}" y="${py(0) + 16}" text-anchor="middle">${formatNumber(x)}</text>`,
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
    const legendY = MARGIN.top + 8 + index * 14;
    parts.push(
      `<rect x="${MARGIN.left + 10}" y="${legendY - 8}" width="10" height="10" fill="${line.color}"/>`,
      `<text x="${MARGIN.left + 24}" y="${legendY + 1}">${line.label}</text>`,
    );
  });
  parts.push("</svg>");
  return `${parts.join("\n")}\n`;
}

function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}

function formatNumber(value: number): string {
  if (value >= 1000) return `${round1(value / 1000)}k`;
  return String(round1(value));
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
