// The staff console: logs in, then follows the lane pushed from the web
// module and changes it through the runtime (CSRF token on every change).
// The session is a token kept in this tab (sessionStorage belongs to this
// origin, port included) and sent as a header, never a cookie: a cookie
// would go to every other port of the same host.
import { money, kilograms } from "/assets/strings.js";

const $ = (id) => document.getElementById(id);
const kSession = "ce_staff";
let csrf = "";
let twins = {};
let basket = null;

function authorized(headers = {}) {
  const token = sessionStorage.getItem(kSession);
  return token ? { ...headers, Authorization: `Bearer ${token}` } : headers;
}

async function api(path, body) {
  const options = body === undefined ? { headers: authorized() } : {
    method: "POST",
    headers: authorized({ "Content-Type": "application/json", "X-CSRF-Token": csrf }),
    body: JSON.stringify(body),
  };
  const res = await fetch(path, options);
  const data = await res.json().catch(() => ({}));
  return { status: res.status, ok: res.ok, data };
}

// Images load one after another. A browser keeps at most six connections
// to the lane; two hold event streams (the kiosk's, this page's), and each
// plot or learnt photo waits on a method another module answers: loaded at
// once, they could take the rest, and a click (log out, deploy) would wait
// behind them.
let images = Promise.resolve();
const imagesWaiting = new Set();
function showImage(img, path, then) {
  if (imagesWaiting.has(img)) return;  // the live view asks again before its last one came
  imagesWaiting.add(img);
  images = images.then(() => loadImage(img, path, then)).catch(() => {}).finally(() => imagesWaiting.delete(img));
}

// An image the session may see, shown from a blob: an <img src> would
// carry no session. `then` gets the response and the blob's address.
async function loadImage(img, path, then) {
  const res = await fetch(path, { headers: authorized(), cache: "no-store" });
  if (!res.ok) return;
  const url = URL.createObjectURL(await res.blob());
  if (img.src.startsWith("blob:") && !img.dataset.keep) URL.revokeObjectURL(img.src);
  img.src = url;
  if (then) then(res, url);
}

// Server-sent events read from fetch, which can send the session (an
// EventSource cannot); reconnects as an EventSource would.
async function followEvents(path, on) {
  for (;;) {
    try {
      const res = await fetch(path, { headers: authorized(), cache: "no-store" });
      if (res.status === 401) return show(false);
      if (res.ok) {
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let pending = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          pending += value;
          let end;
          while ((end = pending.indexOf("\n\n")) >= 0) {
            const block = pending.slice(0, end);
            pending = pending.slice(end + 2);
            let type = "message", data = "";
            for (const line of block.split("\n")) {
              if (line.startsWith("event:")) type = line.slice(6).trim();
              else if (line.startsWith("data:")) data += (data ? "\n" : "") + line.slice(5).replace(/^ /, "");
            }
            if (data) on(type, data);
          }
        }
      }
    } catch { /* the web module restarted: try again */ }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

// One view at a time, each at its own address (#lane, #camera, ...), as
// Frigate's and Home Assistant's pages are: staff reach Deploy in one step.
const views = ["lane", "camera", "baskets", "model", "enroll", "twins", "deploy", "logs"];
let loggedIn = false;

function currentView() {
  const v = location.hash.slice(1);
  return views.includes(v) ? v : "lane";
}

function showView(moveFocus) {
  const view = currentView();
  for (const section of document.querySelectorAll("section[data-view]"))
    section.hidden = !loggedIn || section.dataset.view !== view;
  for (const a of document.querySelectorAll("#views a"))
    if (a.getAttribute("href") === `#${view}`) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  document.title = `${document.querySelector(`#views a[href="#${view}"]`).textContent}: staff console`;
  resizeCharts();
  if (loggedIn && view === "camera") refreshLive();  // not a broken picture for two seconds
  if (moveFocus) {
    const heading = document.querySelector(`section[data-view="${view}"] h2`);
    heading.tabIndex = -1;
    heading.focus();
  }
}

window.addEventListener("hashchange", () => showView(true));

// A narrow screen (a phone, 400% zoom) shows each row as a block: each cell
// then says which column it is (screens.css shows data-label before it).
new MutationObserver(() => {
  for (const table of document.querySelectorAll("table.stack")) {
    const names = [...table.querySelectorAll("thead th")].map((th) => th.textContent);
    for (const tr of table.tBodies[0] ? table.tBodies[0].rows : [])
      [...tr.cells].forEach((td, i) => {
        if (names[i] && td.dataset.label !== names[i]) td.dataset.label = names[i];
      });
  }
}).observe(document.body, { childList: true, subtree: true });

function show(isIn, user) {
  loggedIn = isIn;
  $("login").hidden = isIn;
  $("views").hidden = !isIn;
  $("logout").hidden = !isIn;
  showView(false);
  $("who").textContent = isIn ? `Logged in as ${user}` : "Not logged in";
}

// One way to write a time everywhere: the lane's local time, 24-hour.
function when(ms) {
  if (!ms) return "";
  const d = new Date(ms);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
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
      tr.className = good ? "row-good" : "row-bad";
      tr.append(cell(name), cell(m.status, good ? "status-running" : "status-bad"),
        cell(m.health || "", m.health === "unhealthy" ? "status-bad" : ""),
        cell(String(m.restarts ?? 0), (m.restarts ?? 0) > 3 ? "status-bad" : ""));
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
  const q = b.question;
  $("basket-question").textContent = !q ? "No question is open."
    : `Asking the shopper which it is (${kilograms(q.grams || 0, b.locale || "en-US")}): ` +
      (q.products || []).map((p) => `${p.choice} ${p.name || p.id}`).join(", ") +
      (q.group ? `, ${q.group.choice} any ${q.group.displayName || q.group.name}` : "") + ", 0 none of these.";
  const chosen = $("correct-line").value;
  $("correct-line").replaceChildren(...b.lines.map((l) =>
    Object.assign(document.createElement("option"), { value: l.line, textContent: `${l.line}: ${l.name}` })));
  if (b.lines.some((l) => String(l.line) === chosen)) $("correct-line").value = chosen;
}

// Staff's correction of a line: rung up again as the right product, and
// the lane learns the photo as that product.
async function loadProducts() {
  const r = await api("/console/api/products");
  if (!r.ok) return;
  $("correct-product").replaceChildren(...r.data.products.map((p) =>
    Object.assign(document.createElement("option"), { value: p.id, textContent: p.name })));
}

$("correct-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const r = await api("/console/api/correct", { line: Number($("correct-line").value), productId: $("correct-product").value });
  $("correct-result").textContent = r.ok ? `Corrected: ${(r.data.said || []).join(" ")}` : `Refused: ${r.data.error || r.status}`;
  $("correct-result").className = r.ok ? "ok" : "error";
  if (r.ok) await showLearning();
});

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
  const camera = twins.camera && twins.camera.reported;
  if (camera) $("scene").textContent = camera.scene ? `${camera.scene} (scene ${camera.sceneId || "?"}, ${camera.framesSent ?? 0} frames sent)` : "not gating: every frame is sent";
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
  if (currentView() !== "camera") return;
  showImage($("live"), "/console/api/live.jpg", (res) => {
    const at = Number(res.headers.get("X-Frame-Ms"));
    const age = Math.round((Date.now() - at) / 1000);
    $("live-time").textContent = at ? `Frame of ${when(at)} (${age < 2 ? "live" : `${age} s old`})` : "";
    $("live-time").className = at && age > 10 ? "status-bad" : "";
  });
}

// Charts drawn by uPlot (vendored from npm), not by hand.
const latencies = [];
let latencyPlot = null;

function chartWidth(id) {
  return Math.max(200, Math.min(900, $(id).parentElement.clientWidth - 32));
}

// Charts follow the page's width (a turned tablet, 400% zoom, a view shown).
const charts = {};
function resizeCharts() {
  for (const [id, plot] of Object.entries(charts))
    if ($(id).offsetParent) plot.setSize({ width: chartWidth(id), height: plot.height });
}
window.addEventListener("resize", resizeCharts);

function drawLatencies() {
  if (!window.uPlot || !latencies.length) return;
  const data = [latencies.map((_, i) => i + 1), latencies.map((p) => p.latencyMs)];
  const sorted = latencies.map((p) => p.latencyMs).sort((a, b) => a - b);
  const p95 = sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))];
  $("speed-summary").textContent = `${latencies.length} sentences: median ${sorted[Math.floor(sorted.length / 2)]} ms, ` +
    `95th percentile ${p95} ms, from the weight settling to the first sound.`;
  if (latencyPlot) return latencyPlot.setData(data);
  latencyPlot = charts["latency-chart"] = new uPlot({
    width: chartWidth("latency-chart"), height: 220,
    scales: { x: { time: false } },
    axes: [{ label: "sentence" }, { label: "ms" }],
    series: [{ label: "sentence" }, { label: "first sound (ms)", stroke: "#003b80", width: 2, points: { show: true } }],
  }, data, $("latency-chart"));
}

const lags = [];
let lagPlot = null;

function drawLags() {
  if (!window.uPlot || !lags.length) return;
  const data = [lags.map((_, i) => i + 1), lags.map((p) => p.lagMs)];
  const sorted = lags.map((p) => p.lagMs).sort((a, b) => a - b);
  $("lag-summary").textContent = `${lags.length} predictions: median ${sorted[Math.floor(sorted.length / 2)]} ms, ` +
    `95th percentile ${sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))]} ms, from the camera's frame to the prediction.`;
  if (lagPlot) return lagPlot.setData(data);
  lagPlot = charts["lag-chart"] = new uPlot({
    width: chartWidth("lag-chart"), height: 220,
    scales: { x: { time: false } },
    axes: [{ label: "prediction" }, { label: "ms" }],
    series: [{ label: "prediction" }, { label: "frame to prediction (ms)", stroke: "#5a2d00", width: 2, points: { show: true } }],
  }, data, $("lag-chart"));
}

function drawPrecision(all) {
  const tags = all.slice(0, 20);  // named on the axis: more would not be readable
  if (!window.uPlot || !tags.length) return $("ap-chart").replaceChildren();
  $("ap-chart").replaceChildren();
  charts["ap-chart"] = new uPlot({
    width: chartWidth("ap-chart"), height: 320,
    scales: { x: { time: false, range: [0.5, tags.length + 0.5] }, y: { range: [0, 1] } },
    axes: [{ label: "the weakest products", rotate: -50, size: 110, space: 10, incrs: [1],
      values: (u, splits) => splits.map((i) => (Number.isInteger(i) ? (tags[i - 1]?.tag ?? "") : "")) },
    { label: "average precision" }],
    series: [{ label: "product", value: (u, i) => (i == null ? "" : tags[i - 1]?.tag ?? "") },
      { label: "average precision", stroke: "#003b80", fill: "rgba(0, 59, 128, 0.3)",
        paths: uPlot.paths.bars({ size: [0.8, 40] }), points: { show: false } }],
  }, [tags.map((_, i) => i + 1), tags.map((t) => t.averagePrecision)], $("ap-chart"));
}

function follow() {
  const handlers = {};
  const on = (type, fn) => (handlers[type] = fn);
  followEvents("/console/api/events", (type, data) => handlers[type]?.(JSON.parse(data)));
  on("snapshot", (s) => {
    renderModules(s.modules);
    renderPrediction(s.photo);
    renderBasket(s.basket);
    if (s.weight && s.weight.grams !== undefined) on_weight(s.weight);
    latencies.splice(0, latencies.length, ...(s.latencies || []));
    drawLatencies();
    lags.splice(0, lags.length, ...(s.predictionLags || []));
    drawLags();
  });
  on("latency", (p) => {
    latencies.push(p);
    if (latencies.length > 200) latencies.shift();
    drawLatencies();
  });
  on("lane", (l) => renderModules(l.modules));
  on("photo", (p) => {
    renderPrediction(p);
    if (typeof p.lagMs === "number") {
      lags.push({ atMs: p.atMs, lagMs: p.lagMs });
      if (lags.length > 200) lags.shift();
      drawLags();
    }
  });
  on("basket", renderBasket);
  on("weight", on_weight);
  on("sentence", (s) => ($("last-said").textContent = s.text));
  // The live view at a low rate: a frame every two seconds, while shown.
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
  const modules = $("log-module");
  modules.replaceChildren(...Object.keys(twins).concat(["edgeHub"]).sort().map((name) => {
    const o = document.createElement("option");
    o.value = o.textContent = name;
    return o;
  }));
  await showLogs();
  await showRuntime();
  setInterval(() => $("log-follow").checked && showLogs(), 2000);
  setInterval(showRuntime, 5000);
  await searchBaskets();
  await showModel();
  await showLearning();
  await loadProducts();
}

const percent = (x) => (typeof x === "number" ? (100 * x).toFixed(1) + " %" : "");
const plotNames = { "confusion.png": "Confusion matrix (every product)", "risk-coverage.png": "Risk against coverage",
  "reliability.png": "Reliability (calibration)" };
// What each measure means, in staff's words; a share always with the photos it is of.
const measures = [
  ["top1", "Right first time (top-1)"], ["top3", "Right among the first three"],
  ["coarseTop1", "Right kind of product (coarse top-1)"], ["precision", "Precision at the threshold"],
  ["recall", "Recall at the threshold"], ["meanAveragePrecision", "Mean average precision"],
  ["expectedCalibrationError", "Calibration error (lower is better)"],
];

function tableRows(id, rows) {
  $(id).hidden = rows.length === 0;
  $(id).tBodies[0].replaceChildren(...rows.map((cells) => {
    const tr = document.createElement("tr");
    tr.append(...cells.map(([text, className]) => cell(text, className)));
    return tr;
  }));
}

async function showModel() {
  const r = await api("/console/api/model");
  if (!r.ok) {
    $("model-served").textContent = r.data.error || `Cannot read the model (${r.status})`;
    return;
  }
  const s = r.data.served;
  const m = r.data.metrics;
  $("model-served").textContent = `Serving ${s.modelVersion} (${s.tags} products)` +
    (s.created ? `, made ${when(Date.parse(s.created))}` : "") +
    (m ? "." : ". It has not been measured: evaluate it with `checkout-edge evaluate`.");
  $("model-metrics").hidden = !m;
  if (m) {
    const n = m.images;
    $("model-metrics").caption.textContent = m.measuredOn ? `On ${n} ${m.measuredOn}` : `On ${n} photos it was not trained on`;
    tableRows("model-metrics", measures.filter(([k]) => k in m).map(([k, label]) =>
      [[label], [`${percent(m[k])}${k === "expectedCalibrationError" ? "" : ` of ${n} photos`}`, "money"]]));
    tableRows("model-confusions", (m.worstConfusions || []).slice(0, 15).map((c) =>
      [[c.truth], [c.predicted], [`${c.photos} of ${c.ofPhotos}`, "money"]]));
    tableRows("model-coarse", (m.perCoarse || []).slice().sort((a, b) => a.top1 - b.top1).map((c) =>
      [[c.coarse], [String(c.products), "money"], [String(c.images), "money"], [percent(c.top1), "money"]]));
    const tags = (m.perTag || []).filter((t) => t.images > 0).sort((a, b) => a.averagePrecision - b.averagePrecision).slice(0, 100);
    drawPrecision(tags);
    tableRows("model-tags", tags.map((t) => [[t.tag], [String(t.images), "money"], [percent(t.precision), "money"],
      [percent(t.recall), "money"], [percent(t.averagePrecision), "money"]]));
  } else {
    for (const id of ["model-confusions", "model-coarse", "model-tags"]) $(id).hidden = true;
    drawPrecision([]);
  }
  // Each plot opens full size; the full matrix, unreadable inline at many
  // products, is a link and a CSV file.
  const many = s.tags > 20;
  const figures = r.data.plots.filter((p) => p.endsWith(".png")).map((p) => {
    const figure = document.createElement("figure");
    const link = Object.assign(document.createElement("a"), { textContent: `Open ${plotNames[p] || p} full size`, target: "_blank" });
    const img = Object.assign(document.createElement("img"), { alt: plotNames[p] || p });
    img.dataset.keep = "true";
    img.style.maxWidth = "100%";
    showImage(img, `/console/api/model/${p}`, (_, url) => (link.href = url));
    if (!(many && p === "confusion.png")) figure.append(img);
    figure.append(Object.assign(document.createElement("figcaption"), { textContent: plotNames[p] || p }), link);
    return figure;
  });
  if (r.data.plots.includes("confusion.csv")) {
    const p = document.createElement("p");
    const a = Object.assign(document.createElement("a"), { textContent: "Download the confusion matrix (CSV)", download: "confusion.csv" });
    fetch("/console/api/model/confusion.csv", { headers: authorized() }).then(async (res) => {
      if (res.ok) a.href = URL.createObjectURL(await res.blob());
    });
    p.append(a);
    figures.push(p);
  }
  $("model-plots").replaceChildren(...figures);
  await showIterations();
}

// The iterations beside the served one: staff pick one from the list,
// seeing what it was measured on, instead of typing a path.
async function showIterations() {
  const r = await api("/console/api/models");
  if (!r.ok) return;
  if (!r.data.iterations.length) {
    const tr = document.createElement("tr");
    const td = cell("No package is beside the served one: enroll a product or train a new iteration to make one.");
    td.colSpan = 5;
    tr.append(td);
    return $("iterations").tBodies[0].replaceChildren(tr);
  }
  $("iterations").tBodies[0].replaceChildren(...r.data.iterations.map((it) => {
    const tr = document.createElement("tr");
    tr.dataset.folder = it.folder;
    const measured = it.measured ? `${percent(it.measured.top1)} right of ${it.measured.images} ${it.measured.on || "photos it did not train on"}`
      : "not measured";
    const serve = document.createElement("td");
    if (it.served) serve.textContent = "Serving";
    else {
      const b = Object.assign(document.createElement("button"), { type: "button", textContent: `Serve iteration ${it.iteration}` });
      b.disabled = !it.measured;
      if (!it.measured) b.title = "Measure it first (checkout-edge evaluate)";
      b.addEventListener("click", () => {
        $("model-package").value = it.folder;
        $("model-form").requestSubmit();
      });
      serve.append(b);
    }
    tr.append(cell(`${it.name} ${it.iteration}`), cell(when(Date.parse(it.created))), cell(String(it.tags ?? "")), cell(measured), serve);
    return tr;
  }));
}

$("enroll-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = new FormData();
  form.append("tag", $("enroll-tag").value);
  for (const f of $("enroll-photos").files) form.append("photos", f, f.name);
  for (const [field, id] of [["productId", "enroll-id"], ["productName", "enroll-name"], ["price", "enroll-price"], ["soldBy", "enroll-sold-by"]])
    if ($(id).value) form.append(field, $(id).value);
  $("enroll-result").textContent = "Uploading the photos…";
  const res = await fetch("/console/api/enroll", { method: "POST", headers: authorized({ "X-CSRF-Token": csrf }), body: form });
  let status = await res.json().catch(() => ({}));
  if (!res.ok) {
    $("enroll-result").textContent = `Refused: ${status.error || res.status}`;
    $("enroll-result").className = "error";
    return;
  }
  $("enroll-result").className = "";
  while (status.state === "running") {
    $("enroll-result").textContent = `Enrolling ${status.tag}: a new iteration of the model is being made…`;
    await new Promise((done) => setTimeout(done, 1000));
    status = (await api("/console/api/enroll")).data;
  }
  if (status.state === "done") {
    const sold = !status.catalogue ? " It is not in the catalogue yet: add it there to sell it."
      : status.catalogue.added ? " It is in the catalogue, priced."
      : ` It is not in the catalogue: ${status.catalogue.error}`;
    $("enroll-result").textContent = `Enrolled ${status.tag}.${sold} Its measurement is under Model, Iterations: serve it from there.`;
    $("enroll-result").className = status.catalogue && !status.catalogue.added ? "error" : "ok";
    $("model-package").value = status.package;
    await showIterations();
  } else {
    $("enroll-result").textContent = `The enrollment failed: ${status.output || "no output"}`;
    $("enroll-result").className = "error";
  }
});

$("model-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  // The whole model description is replaced: every other key of the old one goes.
  const old = (twins.classifier && twins.classifier.desired && twins.classifier.desired.model) || {};
  const model = Object.fromEntries(Object.keys(typeof old === "object" ? old : {}).map((k) => [k, null]));
  model.package = $("model-package").value;
  // An error the classifier reported before this switch is not its answer to it.
  const errorBefore = twins.classifier?.reported?.lastReloadError ?? null;
  const r = await api("/console/api/twin", { module: "classifier", patch: { model } });
  $("model-result").textContent = r.ok ? "Switching: the classifier loads it and then serves it." : `Refused: ${r.data.error || r.status}`;
  $("model-result").className = r.ok ? "ok" : "error";
  let answered = !r.ok;
  for (let i = 0; i < 20 && !answered; i++) {
    await new Promise((done) => setTimeout(done, 500));
    await loadTwins();
    const rep = twins.classifier && twins.classifier.reported;
    if (rep && rep.model && rep.model.startsWith(model.package)) {
      $("model-result").textContent = `Now serving ${rep.modelVersion}.`;
      answered = true;
    } else if (rep && rep.lastReloadError && rep.lastReloadError !== errorBefore) {
      $("model-result").textContent = `The classifier kept its model: ${rep.lastReloadError}`;
      $("model-result").className = "error";
      answered = true;
    }
  }
  if (!answered) {
    const error = twins.classifier?.reported?.lastReloadError;
    $("model-result").textContent = `Not serving it after 10 s${error ? `: ${error}` : "; the classifier may still be loading it"}.`;
    $("model-result").className = "error";
  }
  await showModel();
});

// What the lane learnt: per product, its latest photos (each removable),
// the gain over the model alone, and a new iteration proposed with it.
const sources = { answer: "shopper's answer", paid: "paid, not voided", staff: "staff", import: "imported", none: "none of these", void: "voided" };

function retrainText(s) {
  if (!s || s.state === "idle") return "";
  if (s.state === "running") return `Training a new iteration (started by ${s.by})… this takes as long as the package's own training.`;
  if (s.state === "failed") return `The new iteration failed: ${s.output || "no output"}`;
  const c = s.comparison;
  if (!c) return `Trained, but its measurement was not found: ${s.output}`;
  return `On ${c.heldOut} of the store's own photos neither was trained on: the served iteration ${percent(c.current.top1)}, ` +
    `the new one ${percent(c.proposed.top1)} (${c.proposed.package}, trained on ${c.storePhotosTrainedOn} of the store's photos too).`;
}

async function showLearning() {
  const r = await api("/console/api/learning");
  if (!r.ok) {
    $("learning-summary").textContent = r.data.error || `Cannot read what the lane learnt (${r.status})`;
    $("learning-tags").hidden = true;
    return;
  }
  const m = r.data;
  const g = m.gain || {};
  const many = (n, one) => `${n} ${one}${n === 1 ? "" : "s"}`;
  $("learning-summary").textContent = `${many(m.examples, "example")} of ${many(m.tags.length, "product")}. ` +
    (g.scans ? `On the last ${many(g.scans, "scan")} whose product was confirmed, the lane was right ${percent(g.laneRight / g.scans)}, the model alone ${percent(g.modelAloneRight / g.scans)}.`
      : "No scan has been confirmed since it started learning.");
  $("learning-tags").hidden = m.tags.length === 0;
  $("learning-tags").tBodies[0].replaceChildren(...m.tags.map((t) => {
    const tr = document.createElement("tr");
    const by = Object.entries(t.sources).map(([k, n]) => `${sources[k] || k} ${n}`).join(", ") +
      (Object.keys(t.who || {}).length ? ` (${Object.entries(t.who).map(([w, n]) => `${w} ${n}`).join(", ")})` : "");
    const photos = document.createElement("td");
    for (const e of t.newest) {
      const figure = document.createElement("figure");
      figure.className = "learnt";
      if (e.photo) {
        const img = Object.assign(document.createElement("img"), { width: 96, height: 72,
          alt: `${e.against ? "Not " : ""}${t.tag}, ${sources[e.source] || e.source}, ${when(e.timeMs)}` });
        showImage(img, `/console/api/learning/photo/${e.id}`);
        figure.append(img);
      }
      const remove = Object.assign(document.createElement("button"), { type: "button", textContent: "Remove" });
      remove.setAttribute("aria-label", `Remove the example of ${t.tag} from ${when(e.timeMs)}`);
      remove.addEventListener("click", () => forget({ id: e.id }, `the example of ${t.tag} from ${when(e.timeMs)}`));
      figure.append(remove);
      photos.append(figure);
    }
    const all = Object.assign(document.createElement("button"), { type: "button", textContent: `Remove all of ${t.tag}` });
    all.addEventListener("click", () => forget({ tag: t.tag }, `everything learnt of ${t.tag}`));
    const undo = document.createElement("td");
    undo.append(all);
    tr.append(cell(t.tag), cell(String(t.examples), "money"), cell(String(t.against), "money"), cell(by), photos, undo);
    return tr;
  }));
  $("retrain-result").textContent = retrainText(m.retrain);
  $("retrain").disabled = m.retrain && m.retrain.state === "running";
  const proposed = m.retrain && m.retrain.comparison && m.retrain.comparison.proposed;
  $("serve-proposed").hidden = !proposed;
  if (proposed) $("serve-proposed").dataset.package = proposed.package;
}

async function forget(what, name) {
  const r = await api("/console/api/learning/forget", what);
  await showLearning();  // the table as it is now, then what was done
  $("learning-result").textContent = r.ok ? `Removed ${name}: the next scan decides without it.` : `Refused: ${r.data.error || r.status}`;
  $("learning-result").className = r.ok ? "ok" : "error";
  $("learning-result").focus();
}

$("retrain").addEventListener("click", async () => {
  const r = await api("/console/api/learning/retrain", {});
  if (!r.ok) {
    $("retrain-result").textContent = `Refused: ${r.data.error || r.status}`;
    return;
  }
  $("retrain").disabled = true;
  let status = r.data;
  while (status.state === "running") {
    $("retrain-result").textContent = retrainText(status);
    await new Promise((done) => setTimeout(done, 2000));
    const l = await api("/console/api/learning");
    status = (l.data && l.data.retrain) || { state: "failed", output: l.data.error };
  }
  await showLearning();
});

$("serve-proposed").addEventListener("click", () => {
  $("model-package").value = $("serve-proposed").dataset.package;
  $("model-form").requestSubmit();
  $("model-result").scrollIntoView();
});

// What `list` adds to the status: each module's problem with its fix, the upstream queue.
async function showRuntime() {
  const r = await api("/console/api/runtime");
  if (!r.ok) {
    $("upstream").textContent = r.data.error || "";
    return;
  }
  $("problems").replaceChildren(...Object.entries(r.data.problems).map(([name, p]) =>
    Object.assign(document.createElement("li"), { className: "status-bad", textContent: `${name}: ${p.what}. Fix: ${p.fix}` })));
  const u = r.data.upstream;
  $("upstream").textContent = !u || !u.configured ? "No upstream broker is configured."
    : `Upstream ${u.broker}: ${u.connected ? "connected" : "not connected"}; ${u.queued} queued, ` +
      `${u.delivered} delivered, ${u.expired} expired` + (u.lastError ? `; last error: ${u.lastError}` : "");
}

async function showLogs() {
  const module = $("log-module").value;
  if (!module) return;
  const r = await api(`/console/api/logs?module=${encodeURIComponent(module)}&tail=200`);
  const pre = $("log-lines");
  const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  pre.textContent = r.ok ? r.data.lines.join("\n") : r.data.error || `Cannot read the log (${r.status})`;
  if (atEnd) pre.scrollTop = pre.scrollHeight;
}

$("log-module").addEventListener("change", showLogs);

$("run-check").addEventListener("click", async () => {
  $("check-status").textContent = "Checking the lane…";
  const r = await api("/console/api/check");
  if (!r.ok) {
    $("check-status").textContent = r.data.error || `Check failed (${r.status})`;
    return;
  }
  const checks = r.data.checks;
  $("check-results").hidden = false;
  $("check-results").tBodies[0].replaceChildren(...checks.map((c) => {
    const tr = document.createElement("tr");
    tr.dataset.status = c.status;
    tr.append(cell(c.check), cell(c.status, c.status === "ok" ? "ok" : "status-bad"), cell(c.detail), cell(c.fix));
    return tr;
  }));
  const bad = checks.filter((c) => c.status === "error").length;
  $("check-status").textContent = bad ? `${bad} problems: each says how to fix it.` : "Every check passed.";
});

async function searchBaskets() {
  const ms = (id) => ($(id).value ? new Date($(id).value).getTime() : "");
  const query = new URLSearchParams();
  if (ms("baskets-from") !== "") query.set("fromMs", ms("baskets-from"));
  if (ms("baskets-to") !== "") query.set("toMs", ms("baskets-to"));
  if ($("baskets-status").value) query.set("status", $("baskets-status").value);
  const r = await api(`/console/api/baskets?${query}`);
  if (!r.ok) {
    $("baskets-status-text").textContent = r.data.error || `Cannot search the journal (${r.status})`;
    return;
  }
  const list = r.data.baskets;
  $("basket-list").tBodies[0].replaceChildren(...list.map((x) => {
    const tr = document.createElement("tr");
    tr.dataset.basket = x.basket;
    const lines = x.lines.map((l) => (l.voided ? `${l.name} (voided)` : l.name)).join(", ");
    tr.append(cell(String(x.basket)), cell(x.status), cell(x.openedMs ? when(x.openedMs) : ""),
      cell(when(x.closedMs)), cell(lines || "no lines"),
      cell(money(x.totalMinor, x.currency, x.minorUnits, "en-US"), "money"));
    return tr;
  }));
  $("baskets-status-text").textContent = `${list.length} baskets found.`;
}

$("baskets-form").addEventListener("submit", (e) => {
  e.preventDefault();
  searchBaskets();
});

$("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("login-error").textContent = "";
  const r = await api("/console/api/login", { user: $("user").value, password: $("password").value });
  $("password").value = "";
  if (!r.ok) {
    $("login-error").textContent = r.data.error || `Refused (${r.status})`;
    return;
  }
  sessionStorage.setItem(kSession, r.data.token);
  csrf = r.data.csrf;
  await started(r.data.user);
});

$("logout").addEventListener("click", async () => {
  // This tab forgets the session whatever the server answers.
  await api("/console/api/logout", {}).catch(() => {});
  sessionStorage.removeItem(kSession);
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

// A reload keeps the session (the tab's) and asks for its CSRF token again.
api("/console/api/session").then((r) => {
  if (r.ok) {
    csrf = r.data.csrf;
    started(r.data.user);
  } else show(false);
});
