// GET / and its static assets: the ask page and jobs view, with strict CSP and cache headers.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { OpenAPIHono } from "@hono/zod-openapi";
import { secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../env";

const ASSETS_DIR = new URL("./assets/", import.meta.url);

const CONTENT_TYPES: Record<string, string> = {
  "app.js": "text/javascript; charset=utf-8",
  "style.css": "text/css; charset=utf-8",
  "icon.svg": "image/svg+xml",
  "answer-stream.js": "text/javascript; charset=utf-8",
  "sources.js": "text/javascript; charset=utf-8",
  "markdown.js": "text/javascript; charset=utf-8",
  "marked.js": "text/javascript; charset=utf-8",
  "purify.js": "text/javascript; charset=utf-8",
  "insights.js": "text/javascript; charset=utf-8",
  "uplot.js": "text/javascript; charset=utf-8",
  "uplot.css": "text/css; charset=utf-8",
};

const requireFromHere = createRequire(import.meta.url);
/** The markdown parser and sanitiser's ES module builds, served beside the page's own files (no CDN). */
export const VENDOR_FILES: Readonly<Record<string, URL>> = {
  "marked.js": new URL("lib/marked.esm.js", vendorUrl("marked/package.json")),
  "purify.js": new URL("purify.es.mjs", vendorUrl("dompurify/purify.js")),
  // The insights charts (uPlot: small, canvas, no inline styles or code).
  "uplot.js": new URL("uPlot.esm.js", vendorUrl("uplot")),
  "uplot.css": new URL("uPlot.min.css", vendorUrl("uplot")),
};

/** A file of an installed package, found as Node resolves it from this module. */
export function vendorUrl(specifier: string): URL {
  return pathToFileURL(requireFromHere.resolve(specifier));
}

export interface WebOptions {
  /** Whether /v1 needs an API key: the page shows a key field only then. */
  auth: "off" | "required";
}

interface WebAssets {
  version: string;
  html: string;
  files: Map<string, Buffer>;
}

/**
 * Assets are served under /assets/<version>/ where the version hashes their contents, so they
 * can be cached forever while the HTML (no-cache) always points at the current ones.
 */
function loadAssets(options: WebOptions): WebAssets {
  const files = new Map(
    Object.keys(CONTENT_TYPES).map((name) => [
      name,
      readFileSync(VENDOR_FILES[name] ?? new URL(name, ASSETS_DIR)),
    ]),
  );
  const template = readFileSync(new URL("index.html", ASSETS_DIR), "utf8");
  const hash = createHash("sha256");
  for (const [name, content] of files) hash.update(name).update(content);
  const version = hash.digest("hex").slice(0, 12);
  const html = template
    .replaceAll("{{assets}}", `/assets/${version}`)
    .replaceAll("{{auth}}", options.auth);
  return { version, html, files };
}

// The page needs nothing from other origins: no inline code, no frames, no plugins.
const pageHeaders = secureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'"],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
  xFrameOptions: "DENY",
  strictTransportSecurity: false,
});

export function webRoutes(options: WebOptions): OpenAPIHono<AppEnv> {
  const assets = loadAssets(options);
  const app = new OpenAPIHono<AppEnv>();
  app.use("/", pageHeaders);
  app.use("/assets/*", pageHeaders);
  app.get("/", (c) => {
    c.header("cache-control", "no-cache");
    return c.html(assets.html);
  });
  app.get("/assets/:version/:name", (c) => {
    const { version, name } = c.req.param();
    const content = assets.files.get(name);
    const contentType = CONTENT_TYPES[name];
    // An old page asking for old assets gets a 404 rather than new content cached as old.
    if (version !== assets.version || !content || !contentType) return c.notFound();
    return c.body(new Uint8Array(content), 200, {
      "content-type": contentType,
      "cache-control": "public, max-age=31536000, immutable",
    });
  });
  return app;
}
