import { describe, expect, it } from "vitest";
import { matchTerms, terms } from "./text-analysis";

describe("matchTerms", () => {
  it("folds inflections together", () => {
    expect(matchTerms("deploys deployed deploying deploy")).toEqual(Array(4).fill("deploy"));
    expect(matchTerms("policies policy")).toEqual(["policy", "policy"]);
    expect(matchTerms("rotate rotated rotating")).toEqual(["rotat", "rotat", "rotat"]);
    expect(matchTerms("stopped stop")).toEqual(["stop", "stop"]);
  });

  it("keeps words that only share a Porter stem apart", () => {
    expect(terms("deductible")).toEqual(terms("deduction"));
    expect(matchTerms("deductible")).not.toEqual(matchTerms("deduction"));
    expect(matchTerms("retention")).not.toEqual(matchTerms("retained"));
  });

  it("drops stopwords and keeps identifiers whole", () => {
    expect(matchTerms("How many c5d instances are there?")).toEqual(["c5d", "instanc"]);
  });
});
