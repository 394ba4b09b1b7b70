// `<dataDir>/server.json`: where a running embedded Lore can be reached, so other commands hand it work.
import { readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

const ServerFile = z.object({ url: z.url(), pid: z.number().int() });
export type ServerFile = z.infer<typeof ServerFile>;

const FILE_NAME = "server.json";

export async function writeServerFile(dataDir: string, url: string): Promise<void> {
  // A wildcard bind is reachable on loopback; the CLI runs on the same machine.
  const reachable = url.replace("//0.0.0.0:", "//127.0.0.1:").replace("//[::]:", "//[::1]:");
  const body: ServerFile = { url: reachable, pid: process.pid };
  await writeFile(path.join(dataDir, FILE_NAME), `${JSON.stringify(body)}\n`);
}

/** The running server's address, or undefined when none wrote one (or it was not Lore's). */
export async function readServerFile(dataDir: string): Promise<ServerFile | undefined> {
  const text = await readFile(path.join(dataDir, FILE_NAME), "utf8").catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = ServerFile.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export async function removeServerFile(dataDir: string): Promise<void> {
  await rm(path.join(dataDir, FILE_NAME), { force: true });
}
