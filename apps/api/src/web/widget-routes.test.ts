// GET /widget.js: one classic script, cacheable, loadable by other sites' pages.
import { describe, expect, it } from "vitest";
import { composeWidget, widgetRoutes } from "./widget-routes";

describe("GET /widget.js", () => {
  const app = widgetRoutes();

  it("serves one classic script with a short cache and an ETag, to any site", async () => {
    const response = await app.request("/widget.js");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("public, max-age=300");
    expect(response.headers.get("cross-origin-resource-policy")).toBe("cross-origin");
    const etag = response.headers.get("etag") ?? "";
    expect(etag).toMatch(/^"[0-9a-f]{16}"$/);
    const again = await app.request("/widget.js", { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
  });

  it("is a script, not a module: no import or export statements are left", () => {
    const { script } = composeWidget();
    expect(script).not.toMatch(/^\s*(import|export)\s/m);
    expect(script).toContain('customElements.define("lore-ask", LoreAsk)');
    // It parses as a classic script.
    expect(() => new Function(script)).not.toThrow();
  });
});
