// GET /widget.js: the <lore-ask> element as one classic script, composed from the page's own modules and the vendored parser and sanitiser.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { vendorUrl } from "./web-routes";

const ASSETS_DIR = new URL("./assets/", import.meta.url);
/** The page's modules the widget shares, in dependency order. */
const SHARED_MODULES = ["answer-stream.js", "markdown.js"];
// A host page may cache the script for a while; the ETag makes the revalidation after it cheap.
const WIDGET_CACHE = "public, max-age=300";

/** A UMD build run as CommonJS inside the widget, so it defines nothing on the host page. */
function commonJs(source: string): string {
  return `((module) => {\nconst exports = module.exports;\n${source}\n;return module.exports;\n})({ exports: {} })`;
}

/**
 * One classic script, so any page can load it with a plain <script src> (a cross-origin module
 * script would need CORS): the vendored UMD builds wrapped as CommonJS, the page's shared ES
 * modules with their `export` keywords dropped, then the element, all inside one function.
 */
export function composeWidget(): { script: string; etag: string } {
  const read = (url: URL) => readFileSync(url, "utf8");
  const shared = SHARED_MODULES.map((name) =>
    read(new URL(name, ASSETS_DIR)).replace(/^export (?=(?:async )?function|const|class)/gm, ""),
  );
  const script = [
    "/* Lore <lore-ask> widget. Bundles marked (MIT License) and DOMPurify (Apache-2.0 or MPL-2.0). */",
    "(() => {",
    '"use strict";',
    `const { Marked } = ${commonJs(read(new URL("lib/marked.umd.js", vendorUrl("marked/package.json"))))};`,
    `const DOMPurify = ${commonJs(read(vendorUrl("dompurify/purify.min.js")))};`,
    ...shared,
    read(new URL("widget.js", ASSETS_DIR)),
    "})();",
    "",
  ].join("\n");
  const etag = `"${createHash("sha256").update(script).digest("hex").slice(0, 16)}"`;
  return { script, etag };
}

export function widgetRoutes(): OpenAPIHono<AppEnv> {
  const widget = composeWidget();
  const app = new OpenAPIHono<AppEnv>();
  app.get("/widget.js", (c) => {
    const headers = {
      "cache-control": WIDGET_CACHE,
      etag: widget.etag,
      "x-content-type-options": "nosniff",
      // Loaded by other sites' pages on purpose.
      "cross-origin-resource-policy": "cross-origin",
    };
    if (c.req.header("if-none-match") === widget.etag) return c.body(null, 304, headers);
    return c.body(widget.script, 200, {
      ...headers,
      "content-type": "text/javascript; charset=utf-8",
    });
  });
  return app;
}
