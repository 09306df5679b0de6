// jetgraph ui: the thread list, a thread's history tree, one checkpoint's
// state, diff, graph and tasks, and (with --allow-writes) fork, update and
// resume. Everything comes from the JSON API under /api/.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { config: null, threads: [], thread: null, history: [], selected: null, follow: true,
  mermaid: "", source: null };

// el builds an element: el("div", {class: "x"}, child, "text", ...).
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v === true ? "" : v);
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
  return e;
}

// api fetches a route; an error answer throws its message.
async function api(path, opts) {
  const res = await fetch("/api/" + path, opts);
  let body = null;
  try { body = await res.json(); } catch (e) { /* not JSON */ }
  if (!res.ok) {
    const err = new Error((body && body.error) || `${res.status} ${res.statusText}`);
    err.status = res.status;
    throw err;
  }
  return body;
}
const post = (path, body) => api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
const enc = encodeURIComponent;

function showError(msg) { const e = $("error"); e.textContent = msg || ""; e.hidden = !msg; }
function showStatus(msg) { $("status").textContent = msg || ""; }
const short = (id) => (id || "").slice(-8);
const when = (ts) => new Date(ts).toLocaleString(undefined, { hour12: false });
function size(n) { return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`; }

// ---- thread list ----

async function loadThreads() {
  try {
    const threads = await api("threads");
    if (JSON.stringify(threads) === JSON.stringify(state.threads)) return;
    state.threads = threads;
    renderThreads();
  } catch (e) { showError("thread list: " + e.message); }
}

function renderThreads() {
  const prefix = $("search").value.trim();
  const list = $("threads");
  const shown = state.threads.filter((t) => t.thread.startsWith(prefix));
  list.replaceChildren(...shown.map((t) => el("li", {},
    el("button", { type: "button", "data-thread": t.thread, "aria-current": t.thread === state.thread ? "true" : null,
      onclick: () => { location.hash = "#/thread/" + enc(t.thread); } },
      el("span", { class: "tid" }, t.thread),
      el("span", { class: "tmeta" }, `updated ${when(t.updated_at)} · ${t.checkpoints} checkpoint${t.checkpoints === 1 ? "" : "s"} · ${size(t.bytes)}`)))));
  $("threads-empty").hidden = shown.length > 0;
}

// ---- routing ----

async function route() {
  showError("");
  const m = location.hash.match(/^#\/thread\/([^/]+)(?:\/([^/]+))?$/);
  if (!m) { closeThread(); return; }
  const thread = decodeURIComponent(m[1]), cid = m[2] ? decodeURIComponent(m[2]) : null;
  if (thread !== state.thread) await openThread(thread);
  if (state.thread !== thread) return;
  if (cid) await selectCheckpoint(cid, false);
  else if (state.history.length) await selectCheckpoint(state.history[0].checkpoint_id, true);
}

function closeThread() {
  state.thread = null;
  if (state.source) { state.source.close(); state.source = null; }
  $("thread").hidden = true; $("welcome").hidden = false; $("live").hidden = true;
  renderThreads();
}

async function openThread(thread) {
  closeThread();
  try {
    state.history = await api(`threads/${enc(thread)}/history`);
  } catch (e) {
    showError(e.status === 404 ? `Thread "${thread}" does not exist (${e.message}).` : `thread ${thread}: ${e.message}`);
    return;
  }
  state.thread = thread; state.selected = null; state.follow = true;
  $("thread-id").textContent = thread;
  $("thread").hidden = false; $("welcome").hidden = true; $("detail").hidden = true;
  renderThreads();
  renderTree();
  listen(thread);
}

// listen follows the thread's changes: the server streams one event per
// change (from the JetStream tail, or by polling the saver).
function listen(thread) {
  const src = new EventSource(`/api/threads/${enc(thread)}/events`);
  state.source = src;
  let connected = false;
  src.addEventListener("ready", () => {
    $("live").hidden = false;
    if (connected) refreshThread(thread); // reconnected: catch up on what the gap missed
    connected = true;
  });
  src.addEventListener("change", () => refreshThread(thread));
  src.addEventListener("failure", (ev) => { showError("live updates stopped: " + JSON.parse(ev.data).error); src.close(); });
  src.onerror = () => { $("live").hidden = true; };
}

let refreshing = null;
async function refreshThread(thread) {
  if (refreshing) { refreshing.again = true; return; }
  refreshing = { again: false };
  try {
    do {
      refreshing.again = false;
      const h = await api(`threads/${enc(thread)}/history`);
      if (state.thread !== thread) return;
      state.history = h;
      const headID = h.length ? h[0].checkpoint_id : null;
      if (state.follow && headID && headID !== state.selected) {
        await selectCheckpoint(headID, true);
      } else renderTree();
    } while (refreshing.again);
  } catch (e) { showError("refresh: " + e.message); } finally { refreshing = null; }
  loadThreads();
}

// ---- history tree ----

// treeOf arranges the history (newest first) oldest first: each node's
// newest child continues its line; older children are branches.
function treeOf(history) {
  const byID = new Map(history.map((c) => [c.checkpoint_id, c]));
  const kids = new Map(), roots = [];
  for (const c of [...history].reverse()) {
    const p = c.parent;
    if (p && p.thread === c.thread && byID.has(p.checkpoint_id)) {
      if (!kids.has(p.checkpoint_id)) kids.set(p.checkpoint_id, []);
      kids.get(p.checkpoint_id).push(c.checkpoint_id);
    } else roots.push(c.checkpoint_id);
  }
  return { byID, kids, roots };
}

// branchKind names what started a branch: a replay (a fork checkpoint in
// the same thread), an update, or a new input from an earlier checkpoint.
function branchKind(c) {
  if (c.source === "fork") return "replay";
  if (c.source === "update") return "update";
  return "new input";
}

function nodeItem(c, head, branch) {
  const fork = c.parent && c.parent.thread !== c.thread;
  const label = `step ${c.step} ${c.source}`;
  return el("li", { role: "treeitem", class: "node", tabindex: "-1", "data-id": c.checkpoint_id,
    "aria-selected": c.checkpoint_id === state.selected ? "true" : "false",
    "aria-label": `${label}, next ${c.next.join(", ") || "none"}, ${when(c.created_at)}${c.checkpoint_id === head ? ", head" : ""}`,
    onclick: () => go(c.checkpoint_id) },
  el("span", { class: "src" }, `step ${c.step} · ${c.source}`), " ",
  c.next.length ? el("span", { class: "nx" }, "next " + c.next.join(", ")) : el("span", { class: "muted" }, "end"), " ",
  el("span", { class: "when" }, when(c.created_at)), " ",
  el("span", { class: "cid" }, "…" + short(c.checkpoint_id)),
  fork ? el("span", { class: "branch-label" }, ` forked from ${c.parent.thread} at …${short(c.parent.checkpoint_id)}`) : null,
  branch ? el("span", { class: "branch-label" }, ` ⎇ newer branch (${branch})`) : null,
  c.checkpoint_id === head ? el("span", { class: "head" }, " ← head") : null);
}

function renderTree() {
  const { byID, kids, roots } = treeOf(state.history);
  const head = state.history.length ? state.history[0].checkpoint_id : null;
  const draw = (id, into, branch) => {
    for (;;) {
      const c = byID.get(id);
      into.append(nodeItem(c, head, branch));
      const ks = kids.get(id) || [];
      if (!ks.length) return;
      for (const k of ks.slice(0, -1)) {
        const kind = branchKind(byID.get(k));
        const label = `older branch from step ${c.step} (${kind})`;
        const group = el("ul", { role: "group", "data-kind": kind, "aria-label": label });
        into.append(el("li", { role: "none" }, el("span", { class: "branch-label" }, label), group));
        draw(k, group, null);
      }
      id = ks[ks.length - 1];
      branch = ks.length > 1 ? branchKind(byID.get(id)) : null;
    }
  };
  const tree = $("tree");
  tree.replaceChildren();
  for (const r of roots) draw(r, tree);
  const items = treeItems();
  const cur = items.find((i) => i.dataset.id === state.selected) || items[0];
  if (cur) cur.tabIndex = 0;
}

const treeItems = () => [...$("tree").querySelectorAll('[role="treeitem"]')];

function go(cid) { location.hash = `#/thread/${enc(state.thread)}/${enc(cid)}`; }

$("tree").addEventListener("keydown", (ev) => {
  const items = treeItems();
  const i = items.indexOf(document.activeElement);
  if (i < 0) return;
  let j = null;
  switch (ev.key) {
    case "ArrowDown": j = Math.min(i + 1, items.length - 1); break;
    case "ArrowUp": j = Math.max(i - 1, 0); break;
    case "Home": j = 0; break;
    case "End": j = items.length - 1; break;
    case "Enter": case " ": ev.preventDefault(); go(items[i].dataset.id); return;
    default: return;
  }
  ev.preventDefault();
  items.forEach((it) => { it.tabIndex = -1; });
  items[j].tabIndex = 0;
  items[j].focus();
});

// ---- one checkpoint ----

async function selectCheckpoint(cid, follow) {
  const thread = state.thread;
  let cp;
  try {
    cp = await api(`threads/${enc(thread)}/checkpoints/${enc(cid)}`);
  } catch (e) {
    showError(e.status === 404 ? `Checkpoint ${cid} of thread "${thread}" does not exist (${e.message}).` : e.message);
    return;
  }
  if (state.thread !== thread) return;
  const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("#tree");
  state.selected = cid;
  state.follow = follow || (state.history.length > 0 && state.history[0].checkpoint_id === cid);
  renderTree();
  if (focused) { const it = treeItems().find((i) => i.dataset.id === cid); if (it) it.focus(); }
  $("detail").hidden = false;
  $("cp-id").textContent = cid;
  const meta = [["thread", cp.thread], ["step", cp.step], ["source", cp.source], ["next", cp.next.join(", ") || "(none: the run ended)"],
    ["created", when(cp.created_at)], ["parent", cp.parent ? `${cp.parent.thread} ${cp.parent.checkpoint_id}` : "(none)"]];
  $("cp-meta").replaceChildren(...meta.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  renderMessages(cp.values ? cp.values.messages : []);
  renderGraph(cp.next);
  renderTasks(cp);
  $("channels").replaceChildren(...renderChannels(cp.channels));
  renderWrites(cp);
  await renderDiff(cp);
}

function renderMessages(msgs) {
  const box = $("messages");
  if (!msgs.length) { box.replaceChildren(el("p", { class: "muted" }, "No messages.")); return; }
  box.replaceChildren(...msgs.map((m) => el("div", { class: "msg " + m.role, "data-id": m.id },
    el("span", { class: "role" }, m.role + (m.name ? ` (${m.name})` : "")),
    m.content || "",
    (m.tool_calls || []).map((c) => el("div", { class: "small" }, `calls ${c.name}(${c.args || ""}) as ${c.id}`)),
    m.tool_call_id ? el("div", { class: "small" }, `answers ${m.tool_call_id}`) : null)));
}

function renderChannels(chs) {
  const other = (chs || []).filter((c) => c.name !== "messages");
  if (!other.length) return [el("p", { class: "muted" }, "None.")];
  return other.map((c) => el("div", {}, el("code", {}, c.name), ` (${c.bytes} B)`,
    c.error ? el("p", { class: "inline-error" }, c.error) : null,
    el("pre", {}, JSON.stringify(c.value, null, 2))));
}

async function renderDiff(cp) {
  const box = $("diff");
  const p = cp.parent;
  if (!p) { box.replaceChildren(el("p", { class: "muted" }, "The thread's first checkpoint: no parent.")); return; }
  if (p.thread !== cp.thread) {
    box.replaceChildren(el("p", { class: "muted" }, `Forked from thread ${p.thread} at ${p.checkpoint_id}: the state is its copy.`));
    return;
  }
  let d;
  try {
    d = await api(`threads/${enc(cp.thread)}/diff?from=${enc(p.checkpoint_id)}&to=${enc(cp.checkpoint_id)}`);
  } catch (e) { box.replaceChildren(el("p", { class: "inline-error" }, "diff: " + e.message)); return; }
  const line = (cls, sign, m) => el("div", { class: "line " + cls }, `${sign} ${m.role}: ${m.content || ""}`);
  const changed = d.channels.filter((c) => c.change !== "unchanged");
  box.replaceChildren(el("div", { class: "diff" },
    el("p", { class: "small muted" }, `from …${short(d.a)} to …${short(d.b)}; ${d.channels.length - changed.length} channel(s) unchanged`),
    changed.map((c) => el("div", { class: "ch" }, el("code", {}, c.channel), ` ${c.change} (${c.bytes_a} B → ${c.bytes_b} B)`,
      (c.removed_messages || []).map((m) => line("rem", "−", m)),
      (c.changed_messages || []).map((m) => line("chg", "~", m)),
      (c.added_messages || []).map((m) => line("add", "+", m)))),
    changed.length ? null : el("p", {}, "No change.")));
}

// renderGraph lays the Mermaid graph out in layers from __start__, the
// next nodes highlighted.
function renderGraph(next) {
  $("mermaid").textContent = state.mermaid;
  const nodes = new Map(), edges = [];
  for (const raw of state.mermaid.split("\n")) {
    const l = raw.trim();
    let m = l.match(/^([\w-]+)\s*(-\.->|-->|-\.\s*[^.]*\s*\.->|--\s*[^-]*\s*-->)\s*([\w-]+);?$/);
    if (m) { edges.push([m[1], m[3], m[2].includes(".") ]); continue; }
    m = l.match(/^([\w-]+)\((?:\[<p>)?([^)<\]]*)(?:<\/p>\])?\)/);
    if (m) nodes.set(m[1], m[2]);
  }
  const depth = new Map([["__start__", 0]]);
  for (let changed = true, n = 0; changed && n < 50; n++) {
    changed = false;
    for (const [a, b] of edges) {
      if (depth.has(a) && (!depth.has(b) || depth.get(b) < depth.get(a) + 1) && depth.get(a) < 40) { depth.set(b, depth.get(a) + 1); changed = true; }
    }
  }
  const layers = [];
  for (const id of nodes.keys()) {
    const d = depth.has(id) ? depth.get(id) : 0;
    (layers[d] = layers[d] || []).push(id);
  }
  const box = $("graph");
  box.replaceChildren();
  layers.forEach((ids, i) => {
    if (!ids) return;
    if (i > 0) box.append(el("div", { class: "arrow", "aria-hidden": "true" }, "↓"));
    box.append(el("div", { class: "layer" }, ids.map((id) => el("span",
      { class: "gnode" + (next.includes(id) ? " next" : ""), "data-node": id,
        "aria-label": next.includes(id) ? `${nodes.get(id)} (runs next)` : null }, nodes.get(id)))));
  });
}

function renderTasks(cp) {
  const tasks = cp.tasks || [];
  const box = $("tasks");
  if (!tasks.length) { box.replaceChildren(el("p", { class: "muted" }, "None.")); return; }
  box.replaceChildren(...tasks.map((t) => el("div", { class: "task" + (t.error ? " failed" : "") },
    el("strong", {}, t.name), t.done ? " (done: its writes are recorded)" : " (pending)",
    t.error ? el("div", { class: "err" }, "error: " + t.error) : null,
    (t.interrupts || []).map((i) => el("div", {}, `interrupt ${i.id} from ${i.node}: `, el("code", {}, JSON.stringify(i.value)),
      state.config.allow_writes ? " (answer it with Resume below)" : null)))));
}

// ---- writes ----

function renderWrites(cp) {
  const allowed = state.config.allow_writes;
  $("readonly").hidden = allowed;
  $("write-forms").hidden = !allowed;
  if (!allowed) return;
  const to = $("fork-to");
  if (!to.value || to.dataset.auto === "1") { to.value = `${cp.thread}-fork-${short(cp.checkpoint_id)}`; to.dataset.auto = "1"; }
  const ta = $("update-values");
  if (!ta.value) ta.value = '{"messages": [{"role": "human", "content": ""}]}';
  const sel = $("update-node");
  if (!sel.options.length) {
    const names = [...state.mermaid.matchAll(/^\s*([\w-]+)\(/gm)].map((m) => m[1]).filter((n) => n !== "__end__");
    sel.replaceChildren(el("option", { value: "" }, "(inferred: the node that ran last)"), ...names.map((n) => el("option", { value: n }, n)));
  }
  ["fork-error", "update-error", "resume-error"].forEach((id) => { $(id).textContent = ""; });
}

function inlineError(input, box, msg) {
  $(box).textContent = msg || "";
  if (input) $(input).setAttribute("aria-invalid", msg ? "true" : "false");
}

$("fork-to").addEventListener("input", (ev) => { ev.target.dataset.auto = "0"; });

$("fork-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const to = $("fork-to").value.trim();
  inlineError("fork-to", "fork-error", "");
  try {
    const r = await post(`threads/${enc(state.thread)}/fork`, { checkpoint_id: state.selected, to });
    $("fork-to").dataset.auto = "1";
    await loadThreads();
    showStatus(`Forked into thread ${r.thread} (checkpoint ${r.checkpoint_id}).`);
    location.hash = "#/thread/" + enc(r.thread);
  } catch (e) { inlineError("fork-to", "fork-error", e.message); }
});

$("update-values").addEventListener("input", () => inlineError("update-values", "update-error", ""));

$("update-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  let values;
  try {
    values = JSON.parse($("update-values").value);
  } catch (e) {
    inlineError("update-values", "update-error", "Not valid JSON: " + e.message);
    $("update-values").focus();
    return;
  }
  try {
    const r = await post(`threads/${enc(state.thread)}/update`,
      { checkpoint_id: state.selected, as_node: $("update-node").value, values });
    inlineError("update-values", "update-error", "");
    showStatus(`Updated: checkpoint ${r.checkpoint_id}, next ${(r.next || []).join(", ") || "none"}.`);
    state.follow = true;
    await refreshThread(state.thread);
  } catch (e) { inlineError("update-values", "update-error", e.message); }
});

$("resume-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const text = $("resume-value").value.trim();
  const body = {};
  if (text) {
    try { body.value = JSON.parse(text); } catch (e) { inlineError("resume-value", "resume-error", "Not valid JSON: " + e.message); return; }
  }
  inlineError("resume-value", "resume-error", "");
  try {
    const r = await post(`threads/${enc(state.thread)}/resume`, body);
    showStatus(`Resumed: head ${r.checkpoint_id}.`);
    state.follow = true;
    await refreshThread(state.thread);
  } catch (e) { inlineError("resume-value", "resume-error", e.message); }
});

// ---- start ----

async function start() {
  try {
    state.config = await api("config");
    state.mermaid = (await api("graph")).mermaid;
  } catch (e) { showError("cannot reach the server: " + e.message); return; }
  $("saver").textContent = state.config.saver;
  const mode = $("mode");
  mode.textContent = state.config.allow_writes ? "writes allowed" : "read-only";
  mode.classList.toggle("writes", state.config.allow_writes);
  $("search").addEventListener("input", renderThreads);
  window.addEventListener("hashchange", route);
  await loadThreads();
  await route();
  setInterval(() => { if (!document.hidden) loadThreads(); }, 2000);
}

start();
