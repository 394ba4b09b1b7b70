import { describe, expect, it } from "vitest";
import { createLocalEmbedder } from "./local-embedder";

const cosine = (left: number[], right: number[]) =>
  left.reduce((sum, value, index) => sum + value * (right[index] ?? 0), 0);

describe("local embedder", () => {
  const embedder = createLocalEmbedder({ dimensions: 256 });

  it("is deterministic, unit length and of the configured size", async () => {
    const [first, again] = [
      ...(await embedder.embed(["Roll back the deploy with kubectl"])),
      ...(await embedder.embed(["Roll back the deploy with kubectl"])),
    ];
    expect(first).toEqual(again);
    expect(first).toHaveLength(256);
    expect(cosine(first ?? [], first ?? [])).toBeCloseTo(1, 6);
  });

  it("puts inflections of the same words closer than unrelated text", async () => {
    const [query, related, unrelated] = await embedder.embed([
      "how do I roll back deployments",
      "Rolling back a deployment: run the rollback command",
      "The expense policy covers meals and hotels",
    ]);
    expect(cosine(query ?? [], related ?? [])).toBeGreaterThan(
      cosine(query ?? [], unrelated ?? []) + 0.2,
    );
  });

  it("gives text without terms a fixed unit vector instead of zeros", async () => {
    const [empty] = await embedder.embed(["the of and ?"]);
    expect(cosine(empty ?? [], empty ?? [])).toBeCloseTo(1, 6);
  });
});
