// <lore-ask>: a question box with a streamed, cited, markdown answer, for any web page. Composed into /widget.js.
// Runs inside the IIFE that web/widget-routes.ts builds: `Marked`, `DOMPurify`, `createAnswerRenderer`
// and `readEvents` are defined there, nothing is added to the host page but the element.

const WIDGET_STYLE = `
:host { display: block; font: 16px/1.5 system-ui, sans-serif; color: CanvasText; max-width: 42rem; }
form { display: flex; gap: 0.5rem; }
input { flex: 1; min-width: 0; font: inherit; padding: 0.4rem 0.6rem; }
button { font: inherit; cursor: pointer; }
.answer pre { overflow-x: auto; padding: 0.6rem; background: rgb(127 127 127 / 0.12); border-radius: 6px; }
.answer :not(pre) > code { background: rgb(127 127 127 / 0.12); padding: 0 0.25em; border-radius: 4px; }
.citation-ref { padding: 0 0.2em; border: 0; background: none; color: LinkText; text-decoration: underline; }
.error { color: #b00020; }
.sources { font-size: 0.875rem; padding-left: 1.25rem; }
.feedback { display: flex; gap: 0.5rem; align-items: center; font-size: 0.875rem; }
[hidden] { display: none !important; }
`;

class LoreAsk extends HTMLElement {
  static get observedAttributes() {
    return ["collection", "endpoint", "key"];
  }

  constructor() {
    super();
    this.renderer = createAnswerRenderer({ Marked, DOMPurify });
    const root = this.attachShadow({ mode: "open" });
    // A constructed sheet, not a <style>: it works under a host page's CSP without 'unsafe-inline'.
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(WIDGET_STYLE);
    root.adoptedStyleSheets = [sheet];
    this.form = document.createElement("form");
    this.input = document.createElement("input");
    this.input.type = "text";
    this.input.maxLength = 2000;
    this.input.required = true;
    this.input.setAttribute("aria-label", "Question");
    this.input.placeholder = "Ask a question";
    const submit = document.createElement("button");
    submit.type = "submit";
    submit.textContent = "Ask";
    this.form.append(this.input, submit);
    this.error = document.createElement("p");
    this.error.className = "error";
    this.error.setAttribute("role", "alert");
    this.error.hidden = true;
    this.answer = document.createElement("div");
    this.answer.className = "answer";
    this.answer.setAttribute("aria-live", "polite");
    this.sources = document.createElement("ol");
    this.sources.className = "sources";
    this.feedback = document.createElement("div");
    this.feedback.className = "feedback";
    this.feedback.hidden = true;
    const label = document.createElement("span");
    label.textContent = "Helpful?";
    this.feedbackStatus = document.createElement("span");
    this.feedbackStatus.setAttribute("role", "status");
    this.feedback.append(
      label,
      this.thumb("up", "👍", "Helpful"),
      this.thumb("down", "👎", "Not helpful"),
      this.feedbackStatus,
    );
    root.append(this.form, this.error, this.answer, this.sources, this.feedback);
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.ask(this.input.value.trim());
    });
  }

  get endpoint() {
    return (this.getAttribute("endpoint") ?? "").replace(/\/+$/, "");
  }

  headers(extra = {}) {
    const key = this.getAttribute("key");
    return {
      "content-type": "application/json",
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...extra,
    };
  }

  thumb(rating, text, label) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = text;
    button.setAttribute("aria-label", label);
    button.addEventListener("click", () => this.rate(rating));
    return button;
  }

  citationButton(citation) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "citation-ref";
    button.textContent = `[${citation.n}]`;
    button.setAttribute("aria-label", `Source ${citation.n}: ${citation.title || citation.source}`);
    button.addEventListener("click", () => {
      // Only web links open; anything else shows where the passage is.
      if (citation.url && /^https?:\/\//i.test(citation.url)) {
        window.open(citation.url, "_blank", "noopener,noreferrer");
      } else {
        this.sources.children[citation.n - 1]?.scrollIntoView({ block: "nearest" });
      }
    });
    return button;
  }

  show(text, citations) {
    this.answer.replaceChildren(
      this.renderer.render(text, citations, (citation) => this.citationButton(citation)),
    );
  }

  showSources(citations) {
    this.sources.replaceChildren(
      ...citations.map((citation) => {
        const item = document.createElement("li");
        item.textContent = `${citation.title || citation.source} — ${citation.source}, lines ${citation.startLine}–${citation.endLine}`;
        return item;
      }),
    );
  }

  fail(message) {
    this.error.textContent = message;
    this.error.hidden = false;
  }

  async ask(question) {
    if (!question) return;
    this.running?.abort();
    const controller = new AbortController();
    this.running = controller;
    this.error.hidden = true;
    this.feedback.hidden = true;
    this.queryId = undefined;
    this.answer.replaceChildren();
    this.sources.replaceChildren();
    this.setAttribute("aria-busy", "true");
    try {
      const response = await fetch(`${this.endpoint}/v1/ask`, {
        method: "POST",
        headers: this.headers({ accept: "text/event-stream" }),
        body: JSON.stringify({
          question,
          collection: this.getAttribute("collection") || "default",
          stream: true,
        }),
        signal: controller.signal,
      });
      if (!response.ok) {
        const problem = await response.json().catch(() => ({}));
        throw new Error(problem.detail ?? `The server answered ${response.status}.`);
      }
      let text = "";
      let citations = [];
      for await (const { event, data } of readEvents(response)) {
        const payload = JSON.parse(data);
        if (event === "token") {
          text += payload.text;
          this.show(text, citations);
        } else if (event === "citations") {
          citations = payload.citations;
        } else if (event === "error") {
          text = "";
        } else if (event === "done") {
          this.show(payload.answer, payload.citations);
          this.showSources(payload.citations);
          this.queryId = payload.queryId;
          this.feedbackStatus.textContent = "";
          this.feedback.hidden = false;
        }
      }
      if (!this.queryId) throw new Error("The answer stream ended before the answer was complete.");
    } catch (error) {
      if (controller.signal.aborted) return;
      this.fail(
        error instanceof TypeError
          ? "Could not reach Lore from this page."
          : error instanceof Error
            ? error.message
            : String(error),
      );
    } finally {
      this.removeAttribute("aria-busy");
      this.dispatchEvent(new CustomEvent("lore-answered", { bubbles: true, composed: true }));
    }
  }

  async rate(rating) {
    if (!this.queryId) return;
    try {
      const response = await fetch(`${this.endpoint}/v1/feedback`, {
        method: "POST",
        headers: this.headers(),
        body: JSON.stringify({ queryId: this.queryId, rating }),
      });
      this.feedbackStatus.textContent = response.ok ? "Thanks!" : "Could not send feedback.";
    } catch {
      this.feedbackStatus.textContent = "Could not send feedback.";
    }
  }
}

if (!customElements.get("lore-ask")) customElements.define("lore-ask", LoreAsk);
