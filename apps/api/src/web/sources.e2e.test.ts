import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  AskResponse,
  createSource,
  type LoreContext,
  processNextIngestJob,
  syncSource,
} from "@lore/core";
import type { Database } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { pino } from "pino";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app";
import { type RunningServer, serveApp } from "../serve";
import { haveChromium, launchChromium, openWatchedPage } from "./browser-testing";

const run = promisify(execFile);

describe.skipIf(!haveChromium())("the Sources view and links back, in Chromium", () => {
  let database: Database;
  let context: LoreContext;
  let scratch: string;
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), "lore-web-sources-"));
    const work = join(scratch, "work");
    await run("git", ["init", "-q", "--bare", join(scratch, "repo.git")]);
    await mkdir(work);
    const git = (...args: string[]) =>
      run("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: work });
    await git("init", "-q");
    await writeFile(
      join(work, "on-call.md"),
      "# On-call\n\nThe pager rotates every Monday.\n\n## Escalation\n\nUnanswered pages escalate to the secondary after 15 minutes.\n",
    );
    await git("add", "-A");
    await git("commit", "-q", "-m", "docs");
    await git("push", "-q", join(scratch, "repo.git"), "HEAD:main");
    database = await createTestDatabase();
    context = { db: database.db, embedder: createLocalEmbedder() };
    const source = await createSource(context, {
      collection: "default",
      name: "handbook",
      kind: "git",
      config: {
        url: join(scratch, "repo.git"),
        ref: "main",
        browseUrl: "https://github.com/acme/handbook",
      },
      schedule: "1h",
    });
    await syncSource(context, { id: source.id });
    await processNextIngestJob(context, {
      workerId: "test-worker",
      leaseMs: 30_000,
      sources: { dataDir: join(scratch, "data") },
    });
    server = await serveApp(createApp({ context, logger: pino({ level: "silent" }) }), {
      port: 0,
      host: "127.0.0.1",
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await database?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("lists the source with its status and next run, and Sync now queues a sync", async () => {
    const { page, problems } = await openWatchedPage(browser, `${server.url}/#sources`);
    const item = page.locator("#source-list li");
    await expect.poll(() => item.count()).toBe(1);
    const text = (await item.textContent()) ?? "";
    expect(text).toContain("default/handbook");
    expect(text).toContain("succeeded");
    expect(text).toContain("Next run: ");
    expect(text).toContain("1 added");
    expect(await page.locator("#view-ask").isHidden()).toBe(true);
    const synced = page.waitForResponse((response) => response.url().endsWith("/sync"));
    await item.getByRole("button", { name: "Sync now" }).click();
    expect((await synced).status()).toBe(202);
    await expect.poll(async () => (await item.textContent()) ?? "").toContain("queued");
    await page.goto(`${server.url}/#ask`);
    expect(await page.locator("#view-sources").isHidden()).toBe(true);
    expect(problems).toEqual([]);
  });

  it("opens a citation's link back to the commit and lines", async () => {
    const response = await fetch(`${server.url}/v1/ask`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ question: "When do unanswered pages escalate?" }),
    });
    const answer = AskResponse.parse(await response.json());
    const url = answer.citations[0]?.url ?? "";
    expect(url).toMatch(
      /^https:\/\/github\.com\/acme\/handbook\/blob\/[0-9a-f]{40}\/on-call\.md#L\d+-L\d+$/,
    );
    const { page, problems } = await openWatchedPage(browser, server.url);
    await page
      .getByRole("textbox", { name: "Question", exact: true })
      .fill("When do unanswered pages escalate?");
    await page.getByRole("textbox", { name: "Question", exact: true }).press("Enter");
    const marker = page.locator("#answer button", { hasText: "[1]" });
    await marker.waitFor({ state: "visible" });
    await marker.click();
    expect(await page.locator("#source-file a").getAttribute("href")).toBe(url);
    expect(await page.locator("#source-file a").textContent()).toBe("on-call.md");
    expect(problems).toEqual([]);
  });
});
