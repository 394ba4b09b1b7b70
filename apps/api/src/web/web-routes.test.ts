import type { LoreContext } from "@lore/core";
import { createTestDatabase } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app";

// The page's HTTP contract: what browsers cache and what the CSP lets run.
describe("web page routes", () => {
  let context: LoreContext;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const database = await createTestDatabase();
    close = () => database.close();
    context = { db: database.db, embedder: createLocalEmbedder() };
  });
  afterAll(async () => close());

  const app = (auth: "off" | "required") =>
    createApp({ context, logger: pino({ level: "silent" }), auth });

  function assetPaths(html: string): string[] {
    return [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1] ?? "");
  }

  it("serves the page uncached, with a strict CSP and no inline code", async () => {
    const response = await app("off").request("/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(response.headers.get("cache-control")).toBe("no-cache");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    const policy = response.headers.get("content-security-policy") ?? "";
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("style-src 'self'");
    expect(policy).not.toContain("unsafe-inline");
    const html = await response.text();
    expect(html).toContain('data-auth="off"');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle="|\son[a-z]+="/);
    // Every script, stylesheet and icon the page loads is one of its versioned assets.
    const files = assetPaths(html).map((path) => path.split("/").pop());
    expect(files).toEqual(
      expect.arrayContaining(["icon.svg", "style.css", "app.js", "sources.js", "insights.js"]),
    );
    expect(html.match(/<(?:script|link)\b[^>]*\s(?:src|href)="/g)?.length).toBe(
      assetPaths(html).length,
    );
  });

  it("tells the page when an API key is required, without one for the page itself", async () => {
    const response = await app("required").request("/");
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('data-auth="required"');
  });

  it("serves versioned assets with a long cache and their content types", async () => {
    const served = app("off");
    const html = await (await served.request("/")).text();
    const types = new Map<string, string>();
    for (const path of assetPaths(html)) {
      const response = await served.request(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      types.set(path.split("/").at(-1) ?? "", response.headers.get("content-type") ?? "");
    }
    expect(types.get("app.js")).toMatch(/^text\/javascript/);
    expect(types.get("style.css")).toMatch(/^text\/css/);
    expect(types.get("icon.svg")).toBe("image/svg+xml");
  });

  it("answers 404 for an asset of another version or an unknown file", async () => {
    const served = app("off");
    const html = await (await served.request("/")).text();
    const script = assetPaths(html).find((path) => path.endsWith("/app.js")) ?? "";
    const stale = await served.request(
      script.replace(/\/assets\/[^/]+\//, "/assets/000000000000/"),
    );
    expect(stale.status).toBe(404);
    expect(stale.headers.get("content-type")).toBe("application/problem+json");
    const unknown = await served.request(script.replace(/app\.js$/, "index.html"));
    expect(unknown.status).toBe(404);
  });
});
