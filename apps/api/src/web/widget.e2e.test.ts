// <lore-ask> embedded in a page on another origin: a listed origin gets a cited answer rendered as safe markdown, any other is refused by CORS.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApiKey, ingestFolder, type LoreContext } from "@lore/core";
import type { Database } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { pino } from "pino";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app";
import { type RunningServer, serveApp } from "../serve";
import {
  haveChromium,
  launchChromium,
  openWatchedPage,
  scriptedMarkdownModel,
} from "./browser-testing";

const DOCS: Record<string, string> = {
  "deploy.md": [
    "# Deploy guide",
    "",
    "## Rolling back",
    "",
    "To roll back a deploy, run `shipit rollback --to previous` from the release channel.",
    "",
  ].join("\n"),
};

// A model's answer in markdown, with raw HTML a model (or a quoted document) might slip in.
const MODEL_ANSWER = [
  "To roll back a deploy [1]:",
  "",
  "```sh",
  "shipit rollback --to previous",
  "```",
  "",
  "<img src=x onerror=\"window.pwned = 'model'\"> <b>bold?</b>",
].join("\n");

/** A host page on its own port (another origin) embedding the widget from Lore. */
async function hostPage(lore: string, key: string): Promise<{ url: string; server: Server }> {
  const html = `<!doctype html><html><body><h1>Help</h1>
<script src="${lore}/widget.js"></script>
<lore-ask endpoint="${lore}" collection="default" key="${key}"></lore-ask>
</body></html>`;
  const server = createServer((_request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe.skipIf(!haveChromium())("<lore-ask> widget in Chromium", () => {
  let database: Database;
  let context: LoreContext;
  let docs: string;
  let lore: RunningServer;
  let browser: Browser;
  const hosts: Server[] = [];

  beforeAll(async () => {
    docs = await mkdtemp(join(tmpdir(), "lore-widget-"));
    for (const [name, content] of Object.entries(DOCS)) await writeFile(join(docs, name), content);
    database = await createTestDatabase();
    context = { db: database.db, embedder: createLocalEmbedder() };
    await ingestFolder(context, docs, { collection: "default" });
    lore = await serveApp(
      createApp({ context, logger: pino({ level: "silent" }), auth: "required" }),
      { port: 0, host: "127.0.0.1" },
    );
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    for (const host of hosts) host.close();
    await lore?.close();
    await database?.close();
    if (docs) await rm(docs, { recursive: true, force: true });
  });

  /** A host page and a publishable key listing `listed` (or the page's own origin). */
  async function embed(name: string, listed?: string) {
    // The port is known only once the host listens: start it with a placeholder key, then set it.
    const host = await hostPage(lore.url, "pending");
    hosts.push(host.server);
    const { key } = await createApiKey(context, {
      name,
      scopes: ["ask"],
      collections: ["default"],
      allowedOrigins: [listed ?? host.url],
    });
    const { page, problems } = await openWatchedPage(browser, host.url);
    await page
      .locator("lore-ask")
      .evaluate((element, value) => element.setAttribute("key", value), key);
    return { page, problems, host };
  }

  async function ask(page: Awaited<ReturnType<typeof embed>>["page"], question: string) {
    // Resolves when the widget has finished (answer, or error) with this question.
    const answered = page.evaluate(
      `new Promise((resolve) => document.addEventListener("lore-answered", resolve, { once: true }))`,
    );
    await page.getByRole("textbox", { name: "Question" }).fill(question);
    await page.getByRole("textbox", { name: "Question" }).press("Enter");
    await answered;
  }

  it("answers on a listed origin, streamed, as markdown, with citation buttons and thumbs", async () => {
    const { page, problems } = await embed("widget-allowed");
    await ask(page, "How do I roll back a deploy?");
    const widget = page.locator("lore-ask");
    expect({ error: await widget.locator(".error").textContent(), problems }).toEqual({
      error: "",
      problems: [],
    });
    // Rendered by the page's markdown renderer: a paragraph, the marker a button.
    expect(await widget.locator(".answer p").first().textContent()).toContain(
      "shipit rollback --to previous",
    );
    expect(await widget.getByRole("button", { name: /^Source 1:/ }).count()).toBe(1);
    expect(await widget.locator(".sources li").first().textContent()).toContain("deploy.md");
    await widget.getByRole("button", { name: "Helpful", exact: true }).click();
    await expect.poll(() => widget.getByRole("status").textContent()).toBe("Thanks!");
    await page.screenshot({
      path: new URL("../../../../test-artifacts/widget-allowed.png", import.meta.url).pathname,
    });
    expect(problems).toEqual([]);
  });

  it("renders a model's markdown as a real code block and its raw HTML as inert text", async () => {
    const chat = scriptedMarkdownModel(MODEL_ANSWER, 30);
    const withModel = await serveApp(
      createApp({
        context: { ...context, chat },
        logger: pino({ level: "silent" }),
        auth: "required",
      }),
      { port: 0, host: "127.0.0.1" },
    );
    try {
      const host = await hostPage(withModel.url, "pending");
      hosts.push(host.server);
      const { key } = await createApiKey(context, {
        name: "widget-markdown",
        scopes: ["ask"],
        collections: ["default"],
        allowedOrigins: [host.url],
      });
      const { page, problems } = await openWatchedPage(browser, host.url);
      await page
        .locator("lore-ask")
        .evaluate((element, value) => element.setAttribute("key", value), key);
      await ask(page, "How do I roll back a deploy?");
      const widget = page.locator("lore-ask");
      expect(await widget.locator(".answer pre > code").textContent()).toBe(
        "shipit rollback --to previous\n",
      );
      expect(await widget.locator(".answer img, .answer b, .answer script").count()).toBe(0);
      expect(await widget.locator(".answer").textContent()).toContain("<img src=x onerror=");
      expect(await page.evaluate("globalThis.pwned")).toBeUndefined();
      expect(await widget.getByRole("button", { name: /^Source 1:/ }).count()).toBe(1);
      expect(problems).toEqual([]);
    } finally {
      await withModel.close();
    }
  });

  it("is refused by CORS on an origin the key does not list", async () => {
    const { page, problems } = await embed("widget-elsewhere", "https://help.example.com");
    await ask(page, "How do I roll back a deploy?");
    const widget = page.locator("lore-ask");
    expect(await widget.getByRole("alert").textContent()).toBe(
      "Could not reach Lore from this page.",
    );
    expect(await widget.locator(".answer").textContent()).toBe("");
    // The browser says why: the preflight got no Access-Control-Allow-Origin.
    expect(problems.some((problem) => problem.includes("CORS policy"))).toBe(true);
  });

  it("gives CORS headers only to listed origins, and refuses the key elsewhere", async () => {
    const { key } = await createApiKey(context, {
      name: "widget-headers",
      scopes: ["ask"],
      collections: ["default"],
      allowedOrigins: ["https://help.example.com"],
    });
    const preflight = (origin: string) =>
      fetch(`${lore.url}/v1/ask`, {
        method: "OPTIONS",
        headers: {
          origin,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization, content-type",
        },
      });
    const listed = await preflight("https://help.example.com");
    expect(listed.headers.get("access-control-allow-origin")).toBe("https://help.example.com");
    const other = await preflight("https://evil.example.com");
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
    const post = (origin: string) =>
      fetch(`${lore.url}/v1/ask`, {
        method: "POST",
        headers: { origin, authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({ question: "How do I roll back a deploy?" }),
      });
    const allowed = await post("https://help.example.com");
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://help.example.com");
    const refused = await post("https://evil.example.com");
    expect(refused.status).toBe(403);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    // A publishable key is for asking one collection only.
    const wide = await fetch(`${lore.url}/v1/ask`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ question: "hi?", collection: "other" }),
    });
    expect(wide.status).toBe(403);
  });
});
