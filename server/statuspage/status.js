// The status page's script: polls /status.json every 2 seconds and fills
// the tables. Every value is set as text (textContent), never as HTML:
// paths and client names come from callers.
"use strict";

const every = 2000;

function text(id, v) {
  document.getElementById(id).textContent = v;
}

function when(t) {
  if (!t) return "—";
  const d = new Date(t);
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

function duration(s) {
  const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
  if (d > 0) return d + "d " + h + "h " + m + "m";
  if (h > 0) return h + "h " + m + "m";
  return m + "m " + (s % 60) + "s";
}

function fill(id, rows, cells) {
  const body = document.querySelector("#" + id + " tbody");
  body.replaceChildren();
  if (rows.length === 0) {
    const tr = body.insertRow(), td = tr.insertCell();
    td.colSpan = document.querySelectorAll("#" + id + " th").length;
    td.className = "meta";
    td.textContent = "none";
    return;
  }
  for (const r of rows) {
    const tr = body.insertRow();
    for (const [v, cls] of cells(r)) {
      const td = tr.insertCell();
      td.textContent = v === undefined || v === null || v === "" ? "—" : String(v);
      if (cls) td.className = cls;
    }
  }
}

function render(s) {
  text("version", s.version);
  text("uptime", duration(s.uptime_seconds));
  text("updated", when(s.now));
  text("conn", "");
  fill("apps", s.apps || [], a => [
    [a.name], [a.kind], [a.region],
    [when(a.last_mint), a.last_mint ? "ok" : ""],
    [a.last_error ? a.last_error + " (" + when(a.error_at) + ")" : "", a.last_error ? "bad" : ""],
  ]);
  const c = s.cache;
  text("entries", c.entries); text("bytes", c.bytes); text("owners", c.owners);
  text("hits", c.hits); text("mints", c.mints); text("failures", c.failures);
  const g = s.grants;
  if (!g) {
    text("grants-summary", "no grant store (no web, PKCE or device app)");
    fill("grants", [], () => []);
  } else {
    text("grants-summary", g.error ? g.error : g.active + " active, " + g.needs_login + " needing login");
    fill("grants", g.waiting || [], w => [[w.app], [w.subject], [w.reason], [when(w.since)]]);
  }
  fill("recent", s.recent || [], e => [
    [when(e.time)], [e.kind, e.kind === "error" ? "bad" : ""], [e.code], [e.status], [e.app], [e.policy], [e.client], [e.ip], [e.path],
  ]);
  document.body.dataset.loaded = "true";
}

async function poll() {
  try {
    const r = await fetch("/status.json", { cache: "no-store", credentials: "same-origin" });
    if (!r.ok) throw new Error("HTTP " + r.status);
    render(await r.json());
  } catch (e) {
    const c = document.getElementById("conn");
    c.className = "stale";
    c.textContent = "(not updating: " + e.message + ")";
  }
  setTimeout(poll, every);
}

poll();
