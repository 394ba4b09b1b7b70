// Identifiers joined by dots or slashes match whether a document writes them whole or markdown-escaped.
import type { Database } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LoreContext } from "../context";
import { putDocument } from "../ingestion/put-document";
import { fullTextQuery } from "./full-text-query";
import { search } from "./search";

describe("fullTextQuery", () => {
  it("appends the parts of dotted and slashed identifiers", () => {
    expect(fullTextQuery("How much memory does ml.eia1.xlarge have?")).toBe(
      "How much memory does ml.eia1.xlarge have? ml eia1 xlarge",
    );
    expect(fullTextQuery("Where is /etc/lore.conf read?")).toBe(
      "Where is /etc/lore.conf read? etc lore conf",
    );
  });

  it("appends the number and letter of a lettered number, as documents write it in parentheses", () => {
    expect(fullTextQuery("What is the 401k match?")).toBe("What is the 401k match? 401 k");
    expect(fullTextQuery("Is 2FA required?")).toBe("Is 2FA required?");
  });

  it("leaves a question without one as it is", () => {
    expect(fullTextQuery("Is it recommended? Yes. Fine.")).toBe("Is it recommended? Yes. Fine.");
    expect(fullTextQuery("wrap-up of us-east-2")).toBe("wrap-up of us-east-2");
  });
});

describe("search with an identifier", () => {
  let database: Database;
  let context: LoreContext;

  beforeAll(async () => {
    database = await createTestDatabase();
    context = { db: database.db, embedder: createLocalEmbedder({ dimensions: 64 }) };
    const put = (source: string, content: string) =>
      putDocument(context, "identifiers", { source, content, mimeType: "text/markdown" });
    // Exported documentation escapes the dots; Postgres then indexes the identifier's parts.
    await put("accelerators.md", "# Accelerator types\n\n| ml\\.eia1\\.xlarge | 4 GB |\n");
    await put("retirement.md", "# Retirement\n\nThe 401(k) plan is run by Fidelity.\n");
    await put(
      "charity.md",
      "# Charity\n\nDonations are matched by the company plan: the plan matches up to $500.\n",
    );
    await put(
      "memory.md",
      "# Memory\n\nMemory use, memory limits and memory metrics: how much memory an instance has.",
    );
  });
  afterAll(async () => {
    await database.close();
  });

  it("finds the document that writes it escaped", async () => {
    const { results } = await search(context, {
      query: "How much memory does ml.eia1.xlarge have?",
      collection: "identifiers",
    });
    expect(results[0]?.source).toBe("accelerators.md");
  });

  it("finds the document that writes a lettered number with the letter in parentheses", async () => {
    const { results } = await search(context, {
      query: "What is the 401k plan?",
      collection: "identifiers",
    });
    expect(results[0]?.source).toBe("retirement.md");
  });
});
