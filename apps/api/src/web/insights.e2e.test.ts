import { mkdir } from "node:fs/promises";
import { ingestFolder, type LoreContext, SAMPLE_DOCS_DIR } from "@lore/core";
import { type Database, feedback, queries } from "@lore/db";
import { createTestDatabase } from "@lore/db/testing";
import { createLocalEmbedder } from "@lore/providers";
import { pino } from "pino";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../app";
import { type RunningServer, serveApp } from "../serve";
import { haveChromium, launchChromium, openWatchedPage } from "./browser-testing";

const ARTIFACTS = new URL("../../../../test-artifacts/", import.meta.url);
const DAY_MS = 86_400_000;

/** The part of a canvas the test reads (the tests compile without the DOM library). */
interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: "2d"): { getImageData(...box: number[]): { data: Uint8ClampedArray } } | null;
}

/** Per day (days ago): answered, refused and fallback asks, and each one's total ms. */
const SEEDED = [
  { daysAgo: 2, answered: 5, refused: 3, fallback: 1, totalMs: 100 },
  { daysAgo: 1, answered: 8, refused: 2, fallback: 0, totalMs: 200 },
];
const REFUSED = [
  "How do stock options vest?",
  "When do my stock options vest?",
  "What is the 401k match?",
];

function dayLabel(daysAgo: number): string {
  return new Date(Date.now() - daysAgo * DAY_MS).toISOString().slice(0, 10);
}

describe.skipIf(!haveChromium())("Insights and Gaps views in Chromium", () => {
  let database: Database;
  let context: LoreContext;
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    database = await createTestDatabase();
    context = { db: database.db, embedder: createLocalEmbedder() };
    await ingestFolder(context, `${SAMPLE_DOCS_DIR}/policies`, { collection: "default" });
    let index = 0;
    for (const day of SEEDED) {
      const createdAt = new Date(Date.parse(`${dayLabel(day.daysAgo)}T12:00:00Z`));
      const kinds = [
        ...Array<string>(day.answered).fill("answered"),
        ...Array<string>(day.refused).fill("refused"),
        ...Array<string>(day.fallback).fill("fallback"),
      ];
      for (const kind of kinds) {
        const id = `qry_web${index}`;
        await database.db.insert(queries).values({
          id,
          collection: "default",
          question:
            kind === "refused"
              ? (REFUSED[index % REFUSED.length] as string)
              : "How much PTO do I get?",
          answer: "An answer.",
          abstained: kind === "refused",
          mode: kind === "fallback" ? "extractive-fallback" : "extractive",
          citations: kind === "answered" ? [{ n: 1, source: "holidays-and-leave.md" }] : [],
          timings: { embedMs: 1, retrieveMs: 10, generateMs: 20, totalMs: day.totalMs },
          costUsd: 0.01,
          createdAt,
        });
        if (kind === "answered" && index % 2 === 0) {
          await database.db
            .insert(feedback)
            .values({ id: `fb_web${index}`, queryId: id, rating: "up" });
        }
        index++;
      }
    }
    server = await serveApp(createApp({ context, logger: pino({ level: "silent" }) }), {
      port: 0,
      host: "127.0.0.1",
    });
    browser = await launchChromium();
    await mkdir(ARTIFACTS, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await database?.close();
  });

  it("draws the usage charts from the seeded numbers", async () => {
    const { page, problems } = await openWatchedPage(browser, `${server.url}/#insights`);
    await page.locator("#insights-tiles .tile").first().waitFor();
    const tiles = await page.locator("#insights-tiles .tile").allInnerTexts();
    expect(tiles.map((text) => text.replace(/\s+/g, " ").trim())).toEqual([
      "Questions 19",
      "Answered 68%",
      "Refused 26%",
      "Fallback 5%",
      "Thumbs up 100%",
      "p50 / p95 200 ms / 200 ms",
      "Cost $0.1900",
    ]);
    expect(await page.locator("#view-ask").isHidden()).toBe(true);
    // Three uPlot charts, each a canvas with something drawn on it.
    expect(await page.locator(".chart canvas").count()).toBe(3);
    const drawn = await page.locator(".chart canvas").evaluateAll((canvases) =>
      canvases.map((canvas) => {
        const surface = canvas as unknown as CanvasLike;
        const pixels = surface
          .getContext("2d")
          ?.getImageData(0, 0, surface.width, surface.height).data;
        let painted = 0;
        for (let at = 3; pixels && at < pixels.length; at += 4)
          if ((pixels[at] ?? 0) > 0) painted++;
        return painted;
      }),
    );
    for (const painted of drawn) expect(painted).toBeGreaterThan(100);
    const questions = await page.locator('table[data-chart="chart-questions"] tr').allInnerTexts();
    expect(questions.map((row) => row.split(/\s+/).join(" "))).toEqual([
      "day answered refused fallback",
      `${dayLabel(2)} 5 3 1`,
      `${dayLabel(1)} 8 2 0`,
    ]);
    const latency = await page.locator('table[data-chart="chart-latency"] tr').allInnerTexts();
    expect(latency.slice(1).map((row) => row.split(/\s+/).slice(1).join(" "))).toEqual([
      "100 100",
      "200 200",
    ]);
    expect(await page.locator("#top-cited li").allInnerTexts()).toEqual([
      "holidays-and-leave.md (default): 13",
    ]);
    await page.screenshot({ path: new URL("insights.png", ARTIFACTS).pathname, fullPage: true });
    expect(problems).toEqual([]);
  });

  it("lists the gaps and marks one resolved", async () => {
    const { page, problems } = await openWatchedPage(browser, `${server.url}/#gaps`);
    await page.locator("#gap-list .gap").first().waitFor();
    const gaps = page.locator("#gap-list .gap");
    expect(await gaps.count()).toBe(3);
    // The three refused stock-option asks (two wordings) are one group, ahead of the 401k and the fallback.
    expect(await gaps.nth(0).locator(".gap-question").textContent()).toContain("stock options");
    expect(await gaps.nth(0).locator(".gap-count").textContent()).toBe("×3");
    await page.screenshot({ path: new URL("gaps.png", ARTIFACTS).pathname, fullPage: true });
    await gaps.nth(0).getByRole("button", { name: "Mark resolved" }).click();
    await page.locator("#gap-list .gap.resolved").waitFor();
    // Resolved groups move below the open ones.
    expect(await page.locator("#gap-list .gap").last().getAttribute("class")).toContain("resolved");
    expect(problems).toEqual([]);
  });
});
