// The staff console: logs in, then follows the lane pushed from the web
// module and changes it through the runtime (CSRF token on every change).
import { money, kilograms } from "/assets/strings.js";

const $ = (id) => document.getElementById(id);
let csrf = "";
let twins = {};
let basket = null;

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify(body),
  };
  const res = await fetch(path, options);
  const data = await res.json().catch(() => ({}));
  return { status: res.status, ok: res.ok, data };
}

function show(loggedIn, user) {
  $("login").hidden = loggedIn;
  for (const id of ["health", "sees", "basket-view", "config", "deploy"]) $(id).hidden = !loggedIn;
  $("who").textContent = loggedIn ? `Logged in as ${user}` : "Not logged in";
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function renderModules(modules) {
  $("modules").tBodies[0].replaceChildren(
    ...Object.entries(modules || {}).map(([name, m]) => {
      const tr = document.createElement("tr");
      tr.dataset.module = name;
      const good = m.status === "running" && m.health !== "unhealthy";
      tr.append(cell(name), cell(m.status, good ? "status-running" : "status-bad"),
        cell(m.health || ""), cell(String(m.restarts ?? 0)));
      return tr;
    }),
  );
}

function renderPrediction(p) {
  if (!p || !p.predictions) return;
  $("prediction").tBodies[0].replaceChildren(
    ...p.predictions.map((x) => {
      const tr = document.createElement("tr");
      tr.append(cell(x.tagName), cell((100 * x.probability).toFixed(1) + " %", "money"));
      return tr;
    }),
  );
}

function renderBasket(b) {
  basket = b;
  if (!b) return;
  $("basket-lines").replaceChildren(
    ...b.lines.map((l) => {
      const li = document.createElement("li");
      li.textContent = `${l.name}, ${l.byWeight ? kilograms(l.grams, b.locale || "en-US") : l.quantity}, ` +
        money(l.priceMinor, b.currency, b.minorUnits, b.locale || "en-US");
      return li;
    }),
  );
  $("basket-total").textContent = money(b.totalMinor, b.currency, b.minorUnits, b.locale || "en-US");
}

async function loadTwins() {
  const r = await api("/console/api/twins");
  if (!r.ok) {
    $("twin-result").textContent = r.data.error || `Cannot read the twins (${r.status})`;
    return;
  }
  twins = r.data;
  const select = $("twin-module");
  const chosen = select.value;
  select.replaceChildren(
    ...Object.keys(twins).map((name) => {
      const o = document.createElement("option");
      o.value = o.textContent = name;
      return o;
    }),
  );
  if (chosen && twins[chosen]) select.value = chosen;
  renderTwin();
}

function renderTwin() {
  const t = twins[$("twin-module").value] || {};
  $("twin-desired").textContent = JSON.stringify(t.desired ?? null, null, 2);
  $("twin-reported").textContent = JSON.stringify(t.reported ?? null, null, 2);
}

function patchOf(key, text) {
  let value;
  try { value = JSON.parse(text); } catch { value = text; }
  return key.split(".").reverse().reduce((inner, part) => ({ [part]: inner }), value);
}

function refreshLive() {
  $("live").src = `/console/api/live.jpg?t=${Date.now()}`;
}

function follow() {
  const events = new EventSource("/console/api/events");
  const on = (type, fn) => events.addEventListener(type, (e) => fn(JSON.parse(e.data)));
  on("snapshot", (s) => {
    renderModules(s.modules);
    renderPrediction(s.photo);
    renderBasket(s.basket);
    if (s.weight && s.weight.grams !== undefined) on_weight(s.weight);
  });
  on("lane", (l) => renderModules(l.modules));
  on("photo", renderPrediction);
  on("basket", renderBasket);
  on("weight", on_weight);
  on("sentence", (s) => ($("last-said").textContent = s.text));
  // The live view at a low rate: a frame every two seconds.
  refreshLive();
  setInterval(refreshLive, 2000);
}

function on_weight(w) {
  $("scale").textContent = `${kilograms(w.grams, "en-US")}, ${w.stable ? "stable" : "moving"}, ${w.status}`;
}

async function started(user) {
  show(true, user);
  follow();
  await loadTwins();
}

$("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("login-error").textContent = "";
  const r = await api("/console/api/login", { user: $("user").value, password: $("password").value });
  $("password").value = "";
  if (!r.ok) {
    $("login-error").textContent = r.data.error || `Refused (${r.status})`;
    return;
  }
  csrf = r.data.csrf;
  await started(r.data.user);
});

$("logout").addEventListener("click", async () => {
  await api("/console/api/logout", {});
  location.reload();
});

$("twin-module").addEventListener("change", renderTwin);

$("twin-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const module = $("twin-module").value;
  const r = await api("/console/api/twin", { module, patch: patchOf($("twin-key").value, $("twin-value").value) });
  $("twin-result").textContent = r.ok ? `Changed ${module}'s ${$("twin-key").value}.` : `Refused: ${r.data.error || r.status}`;
  $("twin-result").className = r.ok ? "ok" : "error";
  await loadTwins();
});

let running = null;  // the deployment the lane runs, for the preview

// Every path whose value differs, a few levels deep ("checkout.threshold: 0.3 → 0.5").
function differences(a, b, path, out, depth) {
  const isObject = (v) => v && typeof v === "object" && !Array.isArray(v);
  if (JSON.stringify(a) === JSON.stringify(b)) return out;
  if (depth > 0 && isObject(a) && isObject(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)]))
      differences(a[k], b[k], path ? `${path}.${k}` : k, out, depth - 1);
    return out;
  }
  const show = (v) => (v === undefined ? "(none)" : JSON.stringify(v));
  out.push(`${path}: ${show(a)} → ${show(b)}`);
  return out;
}

function preview() {
  let next;
  try {
    next = JSON.parse($("manifest").value);
  } catch {
    $("deploy-preview").replaceChildren(Object.assign(document.createElement("li"), { textContent: "(not JSON yet)" }));
    return;
  }
  const strip = (m) => Object.fromEntries(Object.entries((m && m.modulesContent) || {})
    .map(([k, v]) => [k, v && v["properties.desired"]]));
  const changes = running ? differences(strip(running), strip(next), "", [], 4) : ["(load the running deployment to compare)"];
  $("deploy-preview").replaceChildren(...(changes.length ? changes : ["nothing"]).map((c) =>
    Object.assign(document.createElement("li"), { textContent: c })));
}

$("manifest").addEventListener("input", preview);

$("load-deployment").addEventListener("click", async () => {
  const r = await api("/console/api/deployment");
  if (!r.ok) {
    $("deploy-result").textContent = `Cannot read the running deployment: ${r.data.error || r.status}`;
    $("deploy-result").className = "error";
    return;
  }
  running = r.data.manifest;
  $("manifest").value = JSON.stringify(running, null, 2);
  preview();
});

$("deploy-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  let manifest;
  try {
    manifest = JSON.parse($("manifest").value);
  } catch (err) {
    $("deploy-result").textContent = `The manifest is not JSON: ${err.message}`;
    $("deploy-result").className = "error";
    return;
  }
  $("deploy-result").textContent = "Deploying: waiting for the changed modules to become healthy…";
  const r = await api("/console/api/deploy", { manifest });
  const d = r.data;
  const parts = [];
  if (r.ok) parts.push("Deployed.");
  else if (d.rolledBack) parts.push(`Rolled back: ${d.error}`);
  else parts.push(`Refused: ${d.error || r.status}`);
  for (const k of ["added", "restarted", "updated", "removed", "unchanged"])
    if (d[k] && d[k].length) parts.push(`${k}: ${d[k].join(", ")}`);
  for (const w of d.warnings || []) parts.push(`warning: ${w}`);
  $("deploy-result").replaceChildren(...parts.map((p) => Object.assign(document.createElement("p"), { textContent: p })));
  $("deploy-result").className = r.ok ? "ok" : "error";
  if (r.ok) running = manifest;
  preview();
  await loadTwins();
});

// A reload keeps the session (the cookie) and asks for its CSRF token again.
api("/console/api/session").then((r) => {
  if (r.ok) {
    csrf = r.data.csrf;
    started(r.data.user);
  } else show(false);
});
