// Human-readable printing for CLI results; --json prints the raw object instead.
import type {
  AskResponse,
  CollectionSummary,
  IngestSummary,
  SearchResponse,
  UsageRow,
} from "@lore/core";

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function formatIngest(summary: IngestSummary): string {
  const { documents, chunks } = summary;
  const lines = [
    `Collection "${summary.collection}": ${documents.added} added, ${documents.updated} updated, ${documents.unchanged} unchanged, ${documents.deleted} deleted documents`,
    `Chunks: ${chunks.added} added, ${chunks.deleted} deleted; ${summary.textsEmbedded} texts embedded in ${summary.ms} ms`,
  ];
  for (const skipped of summary.skipped)
    lines.push(`  skipped ${skipped.source}: ${skipped.reason}`);
  return lines.join("\n");
}

export function formatAnswer(response: AskResponse): string {
  const lines = [response.answer, ""];
  for (const citation of response.citations) {
    lines.push(
      `[${citation.n}] ${citation.source}:${citation.startLine}-${citation.endLine} (${citation.heading || citation.title})`,
    );
  }
  lines.push(`(${response.mode}, ${response.timings.totalMs} ms)`);
  return lines.join("\n");
}

export function formatSearch(response: SearchResponse): string {
  return response.results
    .map(
      (result, index) =>
        `${index + 1}. ${result.source}:${result.startLine}-${result.endLine}  ${result.heading || result.title}  (score ${result.score.toFixed(4)})`,
    )
    .join("\n");
}

export function formatCollections(collections: CollectionSummary[]): string {
  if (collections.length === 0) return "No collections yet. Run `pnpm lore ingest <folder>`.";
  return collections
    .map(
      (collection) =>
        `${collection.name}: ${collection.documents} documents, ${collection.chunks} chunks (${collection.embeddingModel}, ${collection.embeddingDimensions} dimensions)`,
    )
    .join("\n");
}

export function formatUsage(rows: UsageRow[], since: Date): string {
  if (rows.length === 0) return `No questions asked since ${since.toISOString()}.`;
  const lines = [
    `Usage since ${since.toISOString()} (key / collection: questions, abstained, tokens, cost):`,
  ];
  for (const row of rows) {
    lines.push(
      `  ${row.key} / ${row.collection}: ${row.queries} questions, ${row.abstained} abstained, ${row.promptTokens + row.completionTokens} tokens, $${row.costUsd.toFixed(4)}`,
    );
  }
  return lines.join("\n");
}
