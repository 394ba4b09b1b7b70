// Links back to a document's original: git browse templates (GitHub, GitLab, Gitea) and a citation's line range.
import type { GitSourceConfig } from "./schemas";

const TEMPLATES = {
  github: "{base}/blob/{sha}/{path}#L{start}-L{end}",
  gitlab: "{base}/-/blob/{sha}/{path}#L{start}-{end}",
  gitea: "{base}/src/commit/{sha}/{path}#L{start}-L{end}",
} as const;

/** The browse base of a git URL a person can open (https only, without `.git`); else undefined. */
function browseBase(config: GitSourceConfig): string | undefined {
  if (config.browseUrl) return config.browseUrl.replace(/\/+$/, "");
  if (!/^https?:\/\//i.test(config.url)) return undefined;
  return config.url.replace(/\/+$/, "").replace(/\.git$/, "");
}

function styleOf(config: GitSourceConfig, base: string): keyof typeof TEMPLATES {
  if (config.linkStyle) return config.linkStyle;
  const host = URL.parse(base)?.hostname ?? "";
  return host.includes("gitlab") ? "gitlab" : host.includes("gitea") ? "gitea" : "github";
}

/**
 * The document link of a file at a commit, with `{start}` and `{end}` left in for a citation's
 * lines; undefined when the repository has no browsable address (a local path, ssh) and no template.
 */
export function gitDocumentUrl(
  config: GitSourceConfig,
  sha: string,
  repositoryPath: string,
): string | undefined {
  const base = browseBase(config);
  const template = config.linkTemplate ?? (base ? TEMPLATES[styleOf(config, base)] : undefined);
  if (!template) return undefined;
  const encodedPath = repositoryPath.split("/").map(encodeURIComponent).join("/");
  return template
    .replaceAll("{base}", base ?? "")
    .replaceAll("{sha}", sha)
    .replaceAll("{path}", encodedPath);
}

/** `{ url }` for a citation or search result of a linked document at these lines; else nothing. */
export function linkAt(
  documentUrl: string | null | undefined,
  startLine: number,
  endLine: number,
): { url?: string } {
  const url = citationUrl(documentUrl, startLine, endLine);
  return url ? { url } : {};
}

/** A citation's link: the document's URL with its `{start}`/`{end}` placeholders filled in. */
export function citationUrl(
  documentUrl: string | null | undefined,
  startLine: number,
  endLine: number,
): string | undefined {
  if (!documentUrl) return undefined;
  return documentUrl.replaceAll("{start}", String(startLine)).replaceAll("{end}", String(endLine));
}
