import { describe, expect, it } from "vitest";
import { cleanExtractedText, oneLine } from "./text-hygiene";

describe("text hygiene", () => {
  it("drops NUL and replaces unpaired surrogates, keeping real pairs", () => {
    expect(cleanExtractedText("a\u0000b \ud800 c \udc00 d 😀")).toBe("ab \ufffd c \ufffd d 😀");
  });

  it("makes a message one short line without control characters or a split pair", () => {
    expect(oneLine("bad\u0000 object\n\tat 12")).toBe("bad object at 12");
    const cut = oneLine(`${"x".repeat(8)}😀y`, 10);
    expect(cut).toBe("xxxxxxxx\ufffd…");
  });
});
