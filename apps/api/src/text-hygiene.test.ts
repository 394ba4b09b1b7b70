import { describe, expect, it } from "vitest";
import { hostName, isLoopback } from "./host-guard";
import { jsonProblem, MAX_JSON_DEPTH, textProblem } from "./text-hygiene";

describe("textProblem", () => {
  it("accepts any well-formed text, including paired surrogates and other control characters", () => {
    for (const text of ["", "plain", "emoji 😀 pair", "tab\tnew\nline", "é ß 漢字"]) {
      expect(textProblem(text), text).toBeUndefined();
    }
  });

  it("refuses NUL and unpaired surrogates wherever they are", () => {
    for (const text of [
      "\u0000",
      "a\u0000",
      "\uD800",
      "x\uD800y",
      "\uDC00x",
      "😀\uDC00",
      "\uD83D",
    ]) {
      expect(textProblem(text), JSON.stringify(text)).toBeDefined();
    }
  });
});

describe("jsonProblem", () => {
  it("finds bad strings in keys and nested values, and says where", () => {
    expect(jsonProblem({ a: [{ b: "ok" }, { c: "x\u0000" }] })).toMatch(/^body\.a\.1\.c: .*NUL/);
    expect(jsonProblem({ "k\uD800": 1 })).toMatch(/a key/);
    expect(jsonProblem({ a: [1, true, null, "fine"] })).toBeUndefined();
  });

  it("allows the depth limit and refuses one level more, without recursion", () => {
    const nest = (depth: number) => {
      let value: unknown = 1;
      for (let level = 0; level < depth; level++) value = [value];
      return value;
    };
    expect(jsonProblem(nest(MAX_JSON_DEPTH))).toBeUndefined();
    expect(jsonProblem(nest(MAX_JSON_DEPTH + 1))).toMatch(/deeper than 20/);
    expect(jsonProblem(nest(200_000))).toMatch(/deeper than 20/);
  });
});

describe("hostName and isLoopback", () => {
  it("reads names and addresses with or without a port", () => {
    expect(hostName("LocalHost:3000")).toBe("localhost");
    expect(hostName("[::1]:8080")).toBe("::1");
    expect(hostName("127.0.0.1")).toBe("127.0.0.1");
    expect(hostName("lore.internal.")).toBe("lore.internal");
    expect(hostName("a b")).toBeUndefined();
    expect(hostName("")).toBeUndefined();
  });

  it("counts only localhost, 127.0.0.0/8 and ::1 as loopback", () => {
    for (const name of ["localhost", "127.0.0.1", "127.255.0.9", "::1"])
      expect(isLoopback(name)).toBe(true);
    for (const name of [
      "localhost.attacker.example",
      "127.0.0.1.nip.io",
      "128.0.0.1",
      "0.0.0.0",
      "::",
      "1270.0.0.1",
    ]) {
      expect(isLoopback(name), name).toBe(false);
    }
  });
});
