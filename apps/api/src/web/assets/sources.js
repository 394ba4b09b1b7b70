// The Sources view: each source's kind, status, last sync, next run, counts and error, with "Sync now". Text only.
import { api, byId, element, registerView } from "./app.js";

const VIEW = "view-sources";
const POLL_MS = 2000;
let timer;

function countsLine(source) {
  const documents = source.counts?.documents;
  if (!documents) return "";
  const parts = [
    `${documents.added} added`,
    `${documents.updated} updated`,
    `${documents.unchanged} unchanged`,
    `${documents.deleted} deleted`,
  ];
  if (source.counts.notModified !== undefined)
    parts.push(`${source.counts.notModified} not modified (304)`);
  if (source.counts.skipped) parts.push(`${source.counts.skipped} skipped`);
  return `Last sync: ${parts.join(", ")}`;
}

function sourceItem(source) {
  const item = element("li", "", "job");
  const head = element("div", "", "job-head");
  const status = source.lastStatus ?? "never synced";
  head.append(
    element("span", status, `badge status-${source.lastStatus ?? "none"}`),
    element("strong", `${source.collection}/${source.name}`),
    element("code", source.kind),
  );

  const sync = element("button", "Sync now");
  sync.type = "button";
  sync.addEventListener("click", async () => {
    sync.disabled = true;
    try {
      await api(`/v1/sources/${encodeURIComponent(source.id)}/sync`, { method: "POST" });
      await refreshSources();
    } catch (error) {
      byId("sources-status").textContent = error.message;
      sync.disabled = false;
    }
  });
  head.append(sync);
  const location = source.config?.url ?? source.config?.path ?? "";
  const when = [
    `Last sync: ${source.lastSyncAt ?? "never"}`,
    `Next run: ${source.nextRunAt ?? "on demand"}${source.schedule ? ` (${source.schedule})` : ""}`,
  ];
  if (source.lastSyncedRef) when.push(`Commit: ${source.lastSyncedRef.slice(0, 12)}`);
  item.append(head, element("p", location, "hint"), element("p", when.join(" · ")));
  const counts = countsLine(source);
  if (counts) item.append(element("p", counts));
  if (source.lastError) item.append(element("p", `Error: ${source.lastError}`, "error"));
  return item;
}

async function refreshSources() {
  clearTimeout(timer);
  const status = byId("sources-status");
  try {
    const response = await api("/v1/sources");
    const { sources } = await response.json();
    byId("source-list").replaceChildren(...sources.map(sourceItem));
    const active = sources.some((source) => ["queued", "running"].includes(source.lastStatus));
    status.textContent =
      sources.length === 0
        ? "No sources yet. Add one with `lore sources add` or POST /v1/sources."
        : active
          ? "Updating while syncs run…"
          : "";
    if (active && !byId(VIEW).hidden) timer = setTimeout(refreshSources, POLL_MS);
  } catch (error) {
    status.textContent = error.message ?? "Could not load sources.";
  }
}

byId("sources-refresh").addEventListener("click", refreshSources);
registerView("sources", { onShow: refreshSources, onHide: () => clearTimeout(timer) });
