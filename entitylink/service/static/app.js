// The web page's script: fills the index selector, sends the text to the API, draws the
// linked spans (hover: the best candidate; click: the top candidates) and the table.
"use strict";
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  Object.assign(node, attrs || {});
  for (const child of children) node.append(child);
  return node;
}

function say(text, isError) {
  $("message").textContent = text;
  $("message").className = isError ? "error" : "";
}

async function loadIndexes() {
  const response = await fetch("/indexes");
  const body = await response.json();
  for (const index of body.indexes) $("index").append(el("option", { value: index.name, textContent: index.name }));
}

async function post(path, payload) {
  const response = await fetch(path, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(payload),
  });
  const body = await response.json().catch(() => ({ error: response.statusText }));
  return { status: response.status, body };
}

// Spans: [{start, end, text, candidates}] over `text`; draws them highlighted, the rest plain.
function draw(text, spans) {
  const result = $("result"), rows = $("table").tBodies[0];
  result.replaceChildren();
  rows.replaceChildren();
  $("candidates").hidden = true;
  let at = 0;
  spans.forEach((span, n) => {
    result.append(text.slice(at, span.start));
    const best = span.candidates[0];
    const tip = el("span", { className: "tip",
      textContent: best ? `${best.concept_id} ${best.name} (${best.score.toFixed(3)})` : "no concept (NIL)" });
    const mark = el("mark", { className: best ? "span" : "span nil", title: "" }, text.slice(span.start, span.end), tip);
    mark.dataset.span = n;
    mark.addEventListener("click", () => show(mark, span));
    result.append(mark);
    at = span.end;
    span.candidates.forEach((c, rank) => rows.append(el("tr", {},
      el("td", { textContent: rank === 0 ? span.text : "" }), el("td", { textContent: rank + 1 }),
      el("td", {}, el("code", { textContent: c.concept_id })), el("td", { textContent: c.name }),
      el("td", { textContent: c.matched_name }), el("td", { className: "score", textContent: c.score.toFixed(4) }))));
    if (!span.candidates.length) rows.append(el("tr", {}, el("td", { textContent: span.text }), el("td", { textContent: "-" }),
      el("td", { textContent: "NIL", colSpan: 4 })));
  });
  result.append(text.slice(at));
}

function show(mark, span) {
  document.querySelectorAll("mark.selected").forEach((m) => m.classList.remove("selected"));
  mark.classList.add("selected");
  $("candidates-title").textContent = `Candidates for “${span.text}”`;
  $("candidate-list").replaceChildren(...span.candidates.map((c) => el("li", { className: "candidate" },
    el("code", { textContent: c.concept_id }), ` ${c.name} `,
    el("small", { textContent: `via “${c.matched_name}”, score ${c.score.toFixed(4)}` }))));
  if (!span.candidates.length) $("candidate-list").append(el("li", { textContent: "no concept above the threshold (NIL)" }));
  $("candidates").hidden = false;
}

async function linkList(index, text, k) {
  const lines = text.split("\n");
  const spans = [];
  let at = 0;
  for (const line of lines) {
    const trimmed = line.trim();
    if (trimmed) {
      const start = at + line.indexOf(trimmed);
      spans.push({ start, end: start + trimmed.length, text: trimmed, candidates: [] });
    }
    at += line.length + 1;
  }
  if (!spans.length) return say("Type one mention per line.", true);
  const { status, body } = await post("/link", { index, mentions: spans.map((s) => s.text), k });
  if (status !== 200) return say(`Error ${status}: ${body.error}`, true);
  body.results.forEach((candidates, n) => { spans[n].candidates = candidates; });
  draw(text, spans);
  say(`${spans.length} mention(s) linked with ${index}. Hover a span for its best concept, click it for the top ${k}.`);
}

async function linkParagraph(index, text, k) {
  const { status, body } = await post("/annotate", { index, text, k });
  if (status === 404 && !(body.error || "").startsWith("unknown index")) {
    draw(text, []);
    return say("Paragraph mode needs POST /annotate, which this server does not offer yet; use list mode (one mention per line).", true);
  }
  if (status !== 200) return say(`Error ${status}: ${body.error}`, true);
  const spans = body.documents[0].spans;
  draw(text, spans);
  say(`${spans.length} span(s) found with ${index}. Hover a span for its best concept, click it for the top ${k}.`);
}

$("form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const index = $("index").value, text = $("text").value, k = Number($("k").value) || 5;
  say("Linking…");
  try {
    await ($("mode-paragraph").checked ? linkParagraph : linkList)(index, text, k);
  } catch (error) {
    say(`The server could not be reached: ${error}`, true);
  }
});

loadIndexes().catch((error) => say(`Cannot list the indexes: ${error}`, true));
