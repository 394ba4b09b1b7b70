// The Insights and Gaps views: usage charts (uPlot) and documentation gaps a doc owner can mark resolved.
import { api, byId, element, registerView } from "./app.js";
import uPlot from "./uplot.js";

/** GET or POST JSON with the tab's key (app.js's `api`); a problem's detail is the thrown message. */
async function fetchJson(path, body) {
  const response = await api(
    path,
    body === undefined
      ? {}
      : {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        },
  );
  return response.json();
}

function sinceParameter(days) {
  return new Date(Date.now() - Number(days) * 86_400_000).toISOString();
}

const percent = (part, whole) => (whole === 0 ? "–" : `${Math.round((part / whole) * 100)}%`);
const milliseconds = (value) => (value === null || value === undefined ? "–" : `${value} ms`);

async function fillCollections(select, withAll) {
  const { collections } = await fetchJson("/v1/collections");
  const selected = select.value;
  const options = collections.map((collection) => {
    const option = element("option", collection.name);
    option.value = collection.name;
    return option;
  });
  if (withAll) {
    const all = element("option", "all collections");
    all.value = "";
    options.unshift(all);
  }
  select.replaceChildren(...options);
  const names = collections.map((collection) => collection.name);
  if (names.includes(selected) || (withAll && selected === "")) select.value = selected;
  else if (names.includes("default")) select.value = "default";
}

// ---- Insights (usage) ----------------------------------------------------------------------

/** The per-day rows of every key and collection summed per day, in day order. */
function byDay(days) {
  const merged = new Map();
  for (const row of days) {
    const day = merged.get(row.day) ?? {
      day: row.day,
      questions: 0,
      answered: 0,
      refused: 0,
      fallback: 0,
      costUsd: 0,
      p50: [],
      p95: [],
    };
    day.questions += row.questions;
    day.answered += row.answered;
    day.refused += row.refused;
    day.fallback += row.fallback;
    day.costUsd += row.costUsd;
    // Percentiles do not add up; the busiest key's stands for the day when several asked.
    day.p50.push([row.questions, row.latency.totalMs.p50]);
    day.p95.push([row.questions, row.latency.totalMs.p95]);
    merged.set(row.day, day);
  }
  const busiest = (pairs) => pairs.sort((a, b) => b[0] - a[0])[0]?.[1] ?? null;
  return [...merged.values()]
    .sort((a, b) => a.day.localeCompare(b.day))
    .map((day) => ({ ...day, p50: busiest(day.p50), p95: busiest(day.p95) }));
}

const charts = [];

function drawChart(containerId, title, days, series) {
  const container = byId(containerId);
  container.replaceChildren();
  const width = Math.max(280, Math.min(container.clientWidth || 600, 900));
  const data = [
    days.map((day) => Date.parse(`${day.day}T00:00:00Z`) / 1000),
    ...series.map((entry) => days.map((day) => entry.value(day))),
  ];
  const chart = new uPlot(
    {
      title,
      width,
      height: 220,
      scales: { x: { time: true } },
      series: [
        {},
        ...series.map((entry) => ({ label: entry.label, stroke: entry.color, width: 2 })),
      ],
    },
    data,
    container,
  );
  charts.push(chart);
  // The numbers behind the chart, for screen readers (and the browser test).
  const table = element("table", "", "chart-data visually-hidden");
  table.dataset.chart = containerId;
  const head = element("tr");
  head.append(element("th", "day"), ...series.map((entry) => element("th", entry.label)));
  table.append(head);
  for (const [index, day] of days.entries()) {
    const row = element("tr");
    row.append(element("td", day.day));
    for (const values of data.slice(1)) row.append(element("td", String(values[index] ?? "")));
    table.append(row);
  }
  container.append(table);
}

function tile(label, value) {
  const box = element("div", "", "tile");
  box.append(element("span", label, "tile-label"), element("strong", value, "tile-value"));
  return box;
}

function renderUsage(usage) {
  const { totals } = usage;
  byId("insights-tiles").replaceChildren(
    tile("Questions", String(totals.questions)),
    tile("Answered", percent(totals.answered, totals.questions)),
    tile("Refused", percent(totals.refused, totals.questions)),
    tile("Fallback", percent(totals.fallback, totals.questions)),
    tile(
      "Thumbs up",
      totals.thumbsUpRate === null ? "–" : `${Math.round(totals.thumbsUpRate * 100)}%`,
    ),
    tile(
      "p50 / p95",
      `${milliseconds(totals.latency.totalMs.p50)} / ${milliseconds(totals.latency.totalMs.p95)}`,
    ),
    tile("Cost", `$${totals.costUsd.toFixed(4)}`),
  );
  for (const chart of charts.splice(0)) chart.destroy();
  const days = byDay(usage.days);
  drawChart("chart-questions", "Questions per day", days, [
    { label: "answered", color: "#2f7d32", value: (day) => day.answered },
    { label: "refused", color: "#c62828", value: (day) => day.refused },
    { label: "fallback", color: "#ef6c00", value: (day) => day.fallback },
  ]);
  drawChart("chart-latency", "Total latency (ms)", days, [
    { label: "p50", color: "#1565c0", value: (day) => day.p50 },
    { label: "p95", color: "#6a1b9a", value: (day) => day.p95 },
  ]);
  drawChart("chart-cost", "Cost per day (USD)", days, [
    { label: "cost", color: "#37474f", value: (day) => Math.round(day.costUsd * 10_000) / 10_000 },
  ]);
  byId("top-cited").replaceChildren(
    ...usage.topCited.map((row) =>
      element("li", `${row.source} (${row.collection}): ${row.citations}`),
    ),
  );
  byId("never-cited").replaceChildren(
    ...usage.neverCited.map((row) => element("li", `${row.source} (${row.collection})`)),
  );
}

async function refreshInsights() {
  const status = byId("insights-status");
  status.textContent = "Loading…";
  try {
    await fillCollections(byId("insights-collection"), true);
    const collection = byId("insights-collection").value;
    const query = new URLSearchParams({ since: sinceParameter(byId("insights-days").value) });
    if (collection) query.set("collection", collection);
    renderUsage(await fetchJson(`/v1/insights/usage?${query}`));
    status.textContent = "";
  } catch (error) {
    status.textContent = `Could not load insights. ${error.message}`;
  }
}

// ---- Gaps ----------------------------------------------------------------------------------

function gapItem(gap, collection) {
  const item = element("li", "", `gap ${gap.status}`);
  const head = element("div", "", "row spread");
  head.append(
    element("strong", gap.representative, "gap-question"),
    element("span", `×${gap.count}`, "gap-count"),
  );
  item.append(head);
  item.append(
    element(
      "p",
      `refused ${gap.refused} · fallback ${gap.fallback} · thumbs-down ${gap.thumbsDown} · last asked ${new Date(gap.lastAsked).toLocaleString()}`,
      "hint",
    ),
  );
  if (gap.questions.length > 1) {
    const variants = element("ul", "", "gap-variants");
    for (const variant of gap.questions.slice(1)) {
      variants.append(element("li", `${variant.question} ×${variant.count}`));
    }
    item.append(variants);
  }
  const documents = [...gap.cited.map((row) => row.source), ...gap.retrieved];
  if (documents.length > 0) {
    item.append(element("p", `Closest documents: ${[...new Set(documents)].join(", ")}`, "hint"));
  }
  if (gap.status === "resolved") {
    item.append(element("p", `Resolved ${new Date(gap.resolvedAt).toLocaleString()}`, "notice"));
  } else {
    const button = element("button", "Mark resolved");
    button.type = "button";
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        await fetchJson("/v1/insights/gaps/resolve", {
          collection,
          gapId: gap.id,
          since: sinceParameter(byId("gaps-days").value),
        });
        await refreshGaps();
      } catch (error) {
        byId("gaps-status").textContent = `Could not resolve. ${error.message}`;
        button.disabled = false;
      }
    });
    item.append(button);
  }
  return item;
}

async function refreshGaps() {
  const status = byId("gaps-status");
  status.textContent = "Loading…";
  try {
    await fillCollections(byId("gaps-collection"), false);
    const collection = byId("gaps-collection").value || "default";
    const query = new URLSearchParams({
      collection,
      since: sinceParameter(byId("gaps-days").value),
    });
    const response = await fetchJson(`/v1/insights/gaps?${query}`);
    byId("gap-list").replaceChildren(...response.gaps.map((gap) => gapItem(gap, collection)));
    status.textContent =
      response.gaps.length === 0
        ? "No refused, fallback or voted-down questions in this window."
        : `${response.failedAsks} failed asks, ${response.distinctQuestions} distinct questions.`;
  } catch (error) {
    status.textContent = `Could not load gaps. ${error.message}`;
  }
}

// ---- Views ---------------------------------------------------------------------------------

byId("insights-refresh").addEventListener("click", refreshInsights);
byId("insights-collection").addEventListener("change", refreshInsights);
byId("insights-days").addEventListener("change", refreshInsights);
byId("gaps-refresh").addEventListener("click", refreshGaps);
byId("gaps-collection").addEventListener("change", refreshGaps);
byId("gaps-days").addEventListener("change", refreshGaps);
registerView("insights", { onShow: refreshInsights });
registerView("gaps", { onShow: refreshGaps });
