// The Lore page: ask with a streamed, cited answer, and watch ingest jobs. Plain DOM; document text is only ever set as text.
import { readEvents } from "./answer-stream.js";
import { createAnswerRenderer } from "./markdown.js";
import { Marked } from "./marked.js";
import DOMPurify from "./purify.js";

// Answers are markdown: rendered with marked, sanitised by DOMPurify, [n] markers as buttons.
const answerRenderer = createAnswerRenderer({ Marked, DOMPurify });

const KEY_STORAGE = "lore.apiKey";
const JOBS_POLL_MS = 1000;
const authRequired = document.documentElement.dataset.auth === "required";

/** @param {string} id */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page has no #${id}.`);
  return element;
}

/** An element with text content only: the one way document text reaches the page. */
export function element(tag, text = "", className = "") {
  const node = document.createElement(tag);
  if (text) node.textContent = text;
  if (className) node.className = className;
  return node;
}

class RequestFailed extends Error {}

// ---- HTTP ----------------------------------------------------------------------------------

function requestHeaders(extra = {}) {
  const headers = { accept: "application/json", ...extra };
  const key = sessionStorage.getItem(KEY_STORAGE);
  if (authRequired && key) headers.authorization = `Bearer ${key}`;
  return headers;
}

/** Problem details (RFC 9457) as one readable sentence with the request id to quote. */
async function problemMessage(response) {
  try {
    const problem = await response.json();
    if (problem && typeof problem.detail === "string") {
      const reference = problem.requestId ? ` (request ${problem.requestId})` : "";
      return `${problem.title ?? "Error"}: ${problem.detail}${reference}`;
    }
  } catch {
    // Not JSON: fall through to the status line.
  }
  return `The server answered with status ${response.status}.`;
}

export async function api(path, init = {}) {
  let response;
  try {
    response = await fetch(path, { ...init, headers: requestHeaders(init.headers) });
  } catch (error) {
    if (error instanceof DOMException && error.name === "AbortError") throw error;
    throw new RequestFailed("Could not reach the Lore server. Check that it is running.");
  }
  if (!response.ok) {
    const message = await problemMessage(response);
    if (response.status === 401 && authRequired) byId("api-key").focus();
    throw new RequestFailed(message);
  }
  return response;
}

// ---- API key -------------------------------------------------------------------------------

function setUpKeyField() {
  if (!authRequired) return;
  const input = byId("api-key");
  byId("key-section").hidden = false;
  input.value = sessionStorage.getItem(KEY_STORAGE) ?? "";
  input.addEventListener("change", () => {
    const key = input.value.trim();
    if (key) sessionStorage.setItem(KEY_STORAGE, key);
    else sessionStorage.removeItem(KEY_STORAGE);
    loadCollections();
  });
}

// ---- Collections ---------------------------------------------------------------------------

async function loadCollections() {
  // Without a key the list would only be a 401; the key field says what is needed.
  if (authRequired && !sessionStorage.getItem(KEY_STORAGE)) return;
  const select = byId("collection");
  try {
    const response = await api("/v1/collections");
    const { collections } = await response.json();
    if (collections.length === 0) return;
    const selected = select.value;
    select.replaceChildren(
      ...collections.map((collection) => {
        const option = element("option", `${collection.name} (${collection.documents} documents)`);
        option.value = collection.name;
        return option;
      }),
    );
    const names = collections.map((collection) => collection.name);
    select.value = names.includes(selected)
      ? selected
      : names.includes("default")
        ? "default"
        : names[0];
  } catch (error) {
    if (error instanceof RequestFailed)
      showAskError(`Could not list collections. ${error.message}`);
  }
}

// ---- Asking --------------------------------------------------------------------------------

let running;

function showAskError(message) {
  const box = byId("ask-error");
  box.textContent = message;
  box.hidden = !message;
}

function lineRange(citation) {
  return citation.startLine === citation.endLine
    ? `${citation.startLine}`
    : `${citation.startLine}–${citation.endLine}`;
}

function linesLabel(citation) {
  return citation.startLine === citation.endLine
    ? `line ${citation.startLine}`
    : `lines ${lineRange(citation)}`;
}

function isWebAddress(source) {
  return /^https?:\/\//i.test(source);
}

function openSource(citation) {
  byId("source-title").textContent = `[${citation.n}] ${citation.title || citation.source}`;
  byId("source-heading").textContent = citation.heading || "—";
  const file = byId("source-file");
  // A source's link back (a git blob at these lines, a web page) when the document has one.
  const href = citation.url && isWebAddress(citation.url) ? citation.url : citation.source;
  if (isWebAddress(href)) {
    const link = element("a", citation.source);
    link.href = href;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    file.replaceChildren(link);
  } else {
    file.replaceChildren(element("code", citation.source));
  }
  byId("source-lines").textContent = lineRange(citation);
  byId("source-snippet").textContent = citation.snippet;
  byId("source-dialog").showModal();
}

function citationButton(citation) {
  const button = element("button", `[${citation.n}]`, "citation-ref");
  button.type = "button";
  button.setAttribute("aria-label", `Source ${citation.n}: ${citation.title || citation.source}`);
  button.addEventListener("click", () => openSource(citation));
  return button;
}

/** The answer as sanitised markdown, with each `[n]` that names a citation turned into a button. */
function renderAnswer(text, citations) {
  byId("answer").replaceChildren(answerRenderer.render(text, citations, citationButton));
}

function renderSources(citations) {
  byId("sources-section").hidden = citations.length === 0;
  byId("sources").replaceChildren(
    ...citations.map((citation) => {
      const item = element("li");
      const button = element(
        "button",
        `[${citation.n}] ${citation.title || citation.source}`,
        "source-button",
      );
      button.type = "button";
      button.addEventListener("click", () => openSource(citation));
      item.append(button, element("span", `${citation.source} · ${linesLabel(citation)}`, "hint"));
      return item;
    }),
  );
}

function describeAnswer(response) {
  const notices = [];
  if (response.abstained) notices.push("No answer: the documents do not say.");
  if (response.mode === "extractive-fallback") {
    notices.push(
      "Degraded answer: the language model failed, so these are quotes from the sources.",
    );
  }
  if (response.droppedCitations) {
    notices.push(
      `${response.droppedCitations} citation(s) to sources that were not retrieved were removed.`,
    );
  }
  const status = byId("answer-status");
  status.textContent = notices.join(" ");
  status.hidden = notices.length === 0;
  status.classList.toggle("abstained", response.abstained);
  const warnings = byId("answer-warnings");
  warnings.replaceChildren(...(response.warnings ?? []).map((warning) => element("li", warning)));
  warnings.hidden = warnings.childElementCount === 0;
}

function resetResult() {
  showAskError("");
  byId("result").hidden = false;
  byId("answer").replaceChildren();
  byId("answer").setAttribute("aria-busy", "true");
  byId("answer-status").hidden = true;
  byId("answer-warnings").hidden = true;
  byId("sources-section").hidden = true;
  byId("feedback-form").hidden = true;
}

function showAnswer(response) {
  renderAnswer(response.answer, response.citations);
  renderSources(response.citations);
  describeAnswer(response);
  byId("answer").setAttribute("aria-busy", "false");
  resetFeedback(response.queryId);
}

async function ask(question, collection, signal) {
  const response = await api("/v1/ask", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ question, collection, stream: true }),
    signal,
  });
  if (!response.headers.get("content-type")?.includes("text/event-stream")) {
    showAnswer(await response.json());
    return;
  }
  let text = "";
  let citations = [];
  let failure;
  for await (const { event, data } of readEvents(response)) {
    const payload = JSON.parse(data);
    if (event === "token") {
      text += payload.text;
      renderAnswer(text, citations);
    } else if (event === "citations") {
      citations = payload.citations;
      renderAnswer(text, citations);
      renderSources(citations);
    } else if (event === "done") {
      showAnswer(payload);
      return;
    } else if (event === "error") {
      // The text so far is void; `done` follows with the answer that replaces it, unless the stream ends.
      failure = payload;
      text = "";
      renderAnswer(text, citations);
      const status = byId("answer-status");
      status.textContent = `${payload.message}. Waiting for the final answer…`;
      status.hidden = false;
    }
  }
  throw new RequestFailed(
    failure
      ? `${failure.message} (${failure.code})`
      : "The answer stream ended before the answer was complete.",
  );
}

async function submitQuestion() {
  const question = byId("question").value.trim();
  if (!question) return;
  running?.abort();
  const controller = new AbortController();
  running = controller;
  resetResult();
  try {
    await ask(question, byId("collection").value, controller.signal);
  } catch (error) {
    if (controller.signal.aborted) return;
    byId("result").hidden = byId("answer").textContent === "";
    showAskError(
      error instanceof RequestFailed ? error.message : "Something went wrong while answering.",
    );
    if (!(error instanceof RequestFailed)) console.warn(error);
  } finally {
    byId("answer").setAttribute("aria-busy", "false");
    if (running === controller) running = undefined;
  }
}

function setUpAsking() {
  const form = byId("ask-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitQuestion();
  });
  byId("question").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  const dialog = byId("source-dialog");
  byId("source-close").addEventListener("click", () => dialog.close());
  // A click on the backdrop lands on the dialog itself.
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close();
  });
}

// ---- Feedback ------------------------------------------------------------------------------

let feedbackFor;
let rating;

function resetFeedback(queryId) {
  feedbackFor = queryId;
  rating = undefined;
  byId("feedback-form").hidden = false;
  for (const thumb of document.querySelectorAll(".thumb"))
    thumb.setAttribute("aria-pressed", "false");
  byId("feedback-comment").value = "";
  byId("feedback-send").disabled = true;
  byId("feedback-status").textContent = "";
  byId("feedback-form").querySelector("fieldset").disabled = false;
}

function setUpFeedback() {
  for (const thumb of document.querySelectorAll(".thumb")) {
    thumb.addEventListener("click", () => {
      rating = thumb.dataset.rating;
      for (const other of document.querySelectorAll(".thumb")) {
        other.setAttribute("aria-pressed", String(other === thumb));
      }
      byId("feedback-send").disabled = false;
    });
  }
  byId("feedback-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!feedbackFor || !rating) return;
    const status = byId("feedback-status");
    const comment = byId("feedback-comment").value.trim();
    try {
      await api("/v1/feedback", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ queryId: feedbackFor, rating, ...(comment ? { comment } : {}) }),
      });
      status.textContent = "Thanks, your feedback was recorded.";
      byId("feedback-form").querySelector("fieldset").disabled = true;
    } catch (error) {
      status.textContent =
        error instanceof RequestFailed ? error.message : "Could not send feedback.";
    }
  });
}

// ---- Ingest jobs ---------------------------------------------------------------------------

let jobsTimer;
/** Job id → its rendered JSON and element, so unchanged jobs keep their focus and open details. */
const renderedJobs = new Map();

function jobProgress(job) {
  const progress = job.progress ?? {};
  const total = progress.filesSeen ?? 0;
  const done = (progress.filesProcessed ?? 0) + (progress.filesSkipped ?? 0);
  const bar = element("progress");
  bar.id = `progress-${job.id}`;
  if (job.status === "succeeded") {
    bar.max = 1;
    bar.value = 1;
  } else if (total > 0) {
    bar.max = total;
    bar.value = done;
  } // else: no value, an indeterminate bar while the walk has not counted the files yet
  const label = element("label", total > 0 ? `${done} of ${total} files` : job.status, "hint");
  label.htmlFor = bar.id;
  const wrapper = element("div", "", "progress");
  wrapper.append(label, bar);
  return wrapper;
}

function jobItem(job, keepOpen) {
  const item = element("li", "", "job");
  item.dataset.jobId = job.id;
  const head = element("div", "", "job-head");
  head.append(
    element("span", job.status, `badge status-${job.status}`),
    element("strong", job.collection),
    element("code", job.path),
  );
  const meta = element("p", "", "hint");
  const created = element("time", new Date(job.createdAt).toLocaleString());
  created.dateTime = job.createdAt;
  meta.append(
    `${job.id} · queued `,
    created,
    ` · attempt ${job.attempts} of ${job.maxAttempts}${job.sync ? " · sync" : ""}`,
  );
  item.append(head, meta, jobProgress(job));
  if (job.error) item.append(element("p", job.error, "error"));
  if (job.summary) {
    const { documents, chunks, ms } = job.summary;
    item.append(
      element(
        "p",
        `Documents: ${documents.added} added, ${documents.updated} updated, ${documents.unchanged} unchanged, ${documents.deleted} deleted. Chunks: ${chunks.added} added, ${chunks.deleted} deleted. ${Math.round(ms)} ms.`,
      ),
    );
  }
  const skipped = job.summary?.skipped ?? [];
  if (skipped.length > 0) {
    const details = element("details", "", "skipped");
    details.open = keepOpen;
    details.append(element("summary", `${skipped.length} file(s) skipped`), element("ul"));
    details.lastChild.append(
      ...skipped.map((file) => {
        const entry = element("li");
        entry.append(element("code", file.source), ` — ${file.reason}`);
        return entry;
      }),
    );
    item.append(details);
  } else if (job.progress?.filesSkipped) {
    item.append(element("p", `${job.progress.filesSkipped} file(s) skipped so far`, "hint"));
  }
  return item;
}

function renderJobs(jobs) {
  const list = byId("job-list");
  const items = jobs.map((job) => {
    const json = JSON.stringify(job);
    const previous = renderedJobs.get(job.id);
    if (previous?.json === json) return previous.element;
    const keepOpen = previous?.element.querySelector("details")?.open ?? false;
    const item = jobItem(job, keepOpen);
    renderedJobs.set(job.id, { json, element: item });
    return item;
  });
  // Move or insert only what changed, so a focused element inside an unchanged job keeps focus.
  items.forEach((item, index) => {
    if (list.children[index] !== item) list.insertBefore(item, list.children[index] ?? null);
  });
  while (list.children.length > items.length) list.lastElementChild.remove();
}

async function refreshJobs() {
  clearTimeout(jobsTimer);
  const status = byId("jobs-status");
  try {
    const response = await api("/v1/ingest-jobs");
    const { jobs } = await response.json();
    renderJobs(jobs);
    const active = jobs.some((job) => job.status === "queued" || job.status === "running");
    status.textContent =
      jobs.length === 0
        ? "No ingest jobs yet. Start one with `lore ingest` or POST /v1/ingest-jobs."
        : active
          ? "Updating while jobs run…"
          : `Updated ${new Date().toLocaleTimeString()}.`;
    if (active && !byId("view-jobs").hidden) jobsTimer = setTimeout(refreshJobs, JOBS_POLL_MS);
  } catch (error) {
    status.textContent = error instanceof RequestFailed ? error.message : "Could not load jobs.";
  }
}

// ---- Views ---------------------------------------------------------------------------------

// Each view is a section `view-<name>` with a nav link `nav-<name>`, shown for the fragment
// `#<name>` ("" is Ask). View modules register here (sources.js, insights.js): one router for all.
const views = new Map();

/** Adds a view; `onShow` runs each time it is shown, `onHide` each time another one is. */
export function registerView(name, { onShow = () => {}, onHide = () => {} } = {}) {
  views.set(name, { onShow, onHide });
  // A module loading after the first route (the page opened on its fragment) shows itself now.
  if (location.hash === `#${name}`) showView();
}

function showView() {
  const name = location.hash === "" ? "ask" : location.hash.slice(1);
  // Other fragments (the skip link's #main) leave the view as it is.
  const shown = views.get(name);
  if (!shown) return;
  for (const [other, view] of views) {
    const current = other === name;
    byId(`view-${other}`).hidden = !current;
    const link = byId(`nav-${other}`);
    if (current) link.setAttribute("aria-current", "page");
    else {
      link.removeAttribute("aria-current");
      view.onHide();
    }
  }
  shown.onShow();
}

setUpKeyField();
setUpAsking();
setUpFeedback();
byId("jobs-refresh").addEventListener("click", refreshJobs);
registerView("ask");
registerView("jobs", { onShow: refreshJobs, onHide: () => clearTimeout(jobsTimer) });
window.addEventListener("hashchange", showView);
showView();
loadCollections();
