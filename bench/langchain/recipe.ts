// The LangChain.js pgvector recipe Lore is compared with, run as its own process: split, embed, insert, index.
// Its packages install apart from the workspace (`pnpm bench:install-langchain`), see bench/README.md.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { PGVectorStore } from "@langchain/community/vectorstores/pgvector";
import { Document } from "@langchain/core/documents";
import { OpenAIEmbeddings } from "@langchain/openai";
import { RecursiveCharacterTextSplitter } from "@langchain/textsplitters";
import pg from "pg";
import { RECIPE_TABLE, RecipeInput, type RecipeResult } from "../src/recipe-contract";

export async function runLangchainRecipe(input: RecipeInput): Promise<RecipeResult> {
  const started = performance.now();
  const mark = (() => {
    let last = started;
    return () => {
      const now = performance.now();
      const elapsed = now - last;
      last = now;
      return Math.round(elapsed);
    };
  })();
  const entries = await readdir(input.folder, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile() && /\.(md|mdx|markdown|txt)$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name));
  const documents = await Promise.all(
    files.map(
      async (file) =>
        new Document({
          pageContent: await readFile(file, "utf8"),
          metadata: { source: path.relative(input.folder, file) },
        }),
    ),
  );
  const read = mark();
  const splitter = new RecursiveCharacterTextSplitter({
    chunkSize: input.chunkSize,
    chunkOverlap: input.chunkOverlap,
  });
  const chunks = await splitter.splitDocuments(documents);
  const split = mark();
  const embeddings = new OpenAIEmbeddings({
    model: "text-embedding-3-small",
    dimensions: input.dimensions,
    apiKey: "unused",
    configuration: { baseURL: input.baseUrl },
  });
  const pool = new pg.Pool({ connectionString: input.databaseUrl });
  const store = await PGVectorStore.initialize(embeddings, {
    pool,
    tableName: RECIPE_TABLE,
    dimensions: input.dimensions,
    distanceStrategy: "cosine",
  });
  try {
    await store.addDocuments(chunks);
    const embedAndInsert = mark();
    await store.createHnswIndex({ dimensions: input.dimensions, m: 16, efConstruction: 64 });
    const index = mark();
    await store.similaritySearch("How do I roll back a deploy?", 5);
    const firstQuery = mark();
    return {
      documents: documents.length,
      chunks: chunks.length,
      stages: { read, split, embedAndInsert, index, firstQuery },
      ms: Math.round(performance.now() - started),
    };
  } finally {
    await store.end();
  }
}

// Run as a script: the input is one JSON argument, the result one JSON line on stdout.
if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const input = RecipeInput.parse(JSON.parse(process.argv[2] ?? "{}"));
  const result = await runLangchainRecipe(input);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
