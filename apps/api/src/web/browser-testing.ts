// Test helper: Debian's Chromium through playwright-core, and pages that record every sign of misbehaviour.
import { existsSync } from "node:fs";
import type { ChatModel, ChatStreamPart } from "@lore/providers";
import { type Browser, chromium, type Page } from "playwright-core";

// Debian's Chromium (`apt-get install -y chromium`, done by .ci/run); a browser is never downloaded.
export const CHROMIUM = process.env.LORE_CHROMIUM ?? "/usr/bin/chromium";

/** Locally a browser suite skips without Chromium; in CI a missing browser is a failure, not a skip. */
export function haveChromium(): boolean {
  const present = existsSync(CHROMIUM);
  if (!present && process.env.CI) throw new Error(`Chromium is not installed at ${CHROMIUM}.`);
  return present;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
    ],
  });
}

/** A fresh page whose errors, console errors and dialogs (alert from injected code) are collected. */
export async function openWatchedPage(
  browser: Browser,
  url: string,
  viewport = { width: 1280, height: 900 },
): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("dialog", (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.goto(url);
  return { page, problems };
}

/**
 * A chat model that streams `answer` in two parts cut at `cutAt` (mid-fence, say: every partial
 * render must stay well-formed too). Only streaming is scripted: the page and widget stream.
 */
export function scriptedMarkdownModel(answer: string, cutAt: number): ChatModel {
  return {
    id: "scripted:markdown",
    complete: () => Promise.reject(new Error("the page and the widget stream")),
    stream: async function* (): AsyncIterable<ChatStreamPart> {
      yield { type: "delta", text: answer.slice(0, cutAt) };
      yield { type: "delta", text: answer.slice(cutAt) };
      yield { type: "finish", usage: { promptTokens: 10, completionTokens: 40 } };
    },
  };
}
