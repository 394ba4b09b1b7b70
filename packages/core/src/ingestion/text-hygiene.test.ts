import { describe, expect, it } from "vitest";
import { cleanExtractedText } from "./text-hygiene";

describe("text hygiene", () => {
  it("drops NUL and replaces unpaired surrogates, keeping real pairs", () => {
    expect(cleanExtractedText("a\u0000b \ud800 c \udc00 d 😀")).toBe("ab \ufffd c \ufffd d 😀");
  });
});
