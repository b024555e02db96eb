// The shopper's screen: shows what the lane says and holds, pushed from the
// web module (server-sent events); sends only what the keypad could. It
// shows what the checkout decided, never what it hopes: a question the
// checkout withdrew goes, a payment it refused says so.
import { words, fill, money, kilograms } from "/assets/strings.js";

const $ = (id) => document.getElementById(id);
const token = document.querySelector('meta[name="kiosk-token"]').content;
window.ceLatencies = [];
const state = {
  locale: "en-US", basket: null, sentences: [], notices: {}, checkoutUp: true, connected: false,
  announce: true, weight: null, photo: null, questionScan: null, paying: false, payTotal: null,
};

function t(key, values = {}) {
  return fill(words(state.locale)[key] ?? words("en-US")[key] ?? key, values);
}

function showWords() {
  document.documentElement.lang = state.locale;
  for (const el of document.querySelectorAll("[data-text]")) el.textContent = t(el.dataset.text);
  document.title = t("title");
  renderConnection();
}

async function send(command) {
  if (!state.checkoutUp) return;  // the buttons are disabled; a key press is not sent either
  const res = await fetch("/kiosk/command", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Kiosk-Token": token },
    body: JSON.stringify(command),
  });
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    showSaid(body.error || `The lane refused (${res.status})`);
  }
}

function showSaid(text) {
  $("said").textContent = text;
}

function addSentence(s) {
  state.sentences = state.sentences.filter((x) => x.sentenceId !== s.sentenceId);
  state.sentences.push(s);
  if (state.sentences.length > 30) state.sentences.shift();
  // The checkout-down notice is in the alert already: said once, not twice.
  if (!(s.kind === "notice" && !state.checkoutUp)) showSaid(s.text);
  // A payment the checkout did not take: what it said instead is the reason.
  if (state.paying && s.kind !== "paid") {
    state.paying = false;
    $("pay-status").textContent = t("notPaid", { reason: s.text });
  }
  renderHistory();
}

function renderHistory() {
  const list = $("history");
  list.replaceChildren(
    ...state.sentences
      .slice()
      .reverse()
      .map((s) => {
        const li = document.createElement("li");
        li.textContent = s.text;
        li.dataset.sentenceId = s.sentenceId;
        li.dataset.kind = s.kind;
        if (s.spoken) li.dataset.spoken = "true";
        return li;
      }),
  );
}

function price(minor, b = state.basket || {}) {
  return money(minor, b.currency, b.minorUnits, state.locale);
}

function row(cells) {
  const tr = document.createElement("tr");
  for (const [text, className] of cells) {
    const td = document.createElement("td");
    if (typeof text === "string") td.textContent = text;
    else td.append(...text);
    if (className) td.className = className;
    tr.append(td);
  }
  return tr;
}

function lineName(l) {
  const name = l.quantity > 1 ? `${l.quantity} × ${l.name}` : l.name;
  if (!l.code) return name;
  // Rung up by its code, not by what the camera guessed: say which.
  const code = document.createElement("small");
  code.className = "code";
  code.textContent = t("barcode", { code: l.code });
  // A space, not a line break: read aloud as "Oat milk Barcode 4006...".
  return [name, " ", code];
}

function lineWeight(l) {
  if (l.scaleGrams)
    return t("label", { label: kilograms(l.grams, state.locale), scale: kilograms(l.scaleGrams, state.locale) });
  return l.byWeight ? kilograms(l.grams, state.locale) : t("each");
}

function renderBasket() {
  const b = state.basket;
  const lines = (b && b.lines) || [];
  $("empty").hidden = lines.length > 0;
  $("lines").hidden = lines.length === 0;
  $("lines").tBodies[0].replaceChildren(
    ...lines.map((l) => {
      const tr = row([[lineName(l)], [lineWeight(l)], [price(l.priceMinor), "money"]]);
      tr.dataset.line = l.line;
      return tr;
    }),
  );
  const voids = (b && b.voids) || [];
  $("voids").hidden = voids.length === 0;
  $("void-list").replaceChildren(
    ...voids.map((v) => Object.assign(document.createElement("li"), { textContent: `${v.name}, ${price(v.priceMinor)}` })),
  );
  $("total").textContent = price((b && b.totalMinor) || 0);
  renderQuestion();
  renderActions();
  renderPayDialog();
  renderStep();
  renderPhotoCaption();
}

function renderActions() {
  const b = state.basket;
  const lines = (b && b.lines) || [];
  const voids = (b && b.voids) || [];
  const down = !state.checkoutUp;
  $("pay").disabled = down || lines.length === 0;
  $("total-button").disabled = down;
  $("repeat").disabled = down;
  $("cancel").disabled = down || (lines.length === 0 && voids.length === 0);
  $("void-last").disabled = down || lines.length === 0;
  for (const c of $("choices").querySelectorAll("button")) c.disabled = down;
}

function renderQuestion() {
  const q = state.basket && state.basket.question;
  const had = state.questionScan;
  state.questionScan = q ? q.scanId || "?" : null;
  const focusWasInside = $("question").contains(document.activeElement);
  $("question").hidden = !q;
  if (!q) {
    $("choices").replaceChildren();
    // Answered or withdrawn: focus goes to what the lane says next, not to the page.
    if (focusWasInside || (had && document.activeElement === document.body)) $("said").focus();
    return;
  }
  const buttons = (q.products || []).map((p) =>
    choiceButton(p.choice, `${p.choice}  ${p.name || p.id}`),
  );
  if (q.group) buttons.push(choiceButton(q.group.choice, `${q.group.choice}  ${t("groupChoice", { group: q.group.displayName || q.group.name })}`));
  buttons.push(choiceButton(0, `0  ${t("none")}`));
  $("choices").replaceChildren(...buttons);
  renderActions();
  // A new question: its choices take the focus (the dialog keeps it while open).
  if (had !== state.questionScan && !$("confirm").open) buttons[0].focus();
  else if (focusWasInside) buttons[0].focus();
}

function choiceButton(choice, label) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "choice";
  b.dataset.choice = choice;
  b.textContent = label;
  b.addEventListener("click", () => send({ command: "answer", choice }));
  return b;
}

// What the shopper is expected to do now, in one line.
function renderStep() {
  const b = state.basket;
  let step = "";
  if (!state.checkoutUp) step = "";
  else if (b && b.question) step = t("stepQuestion");
  else if (!state.weight || !(state.weight.grams > 0)) step = b && b.lines && b.lines.length ? t("stepNextOrPay") : t("stepPlace");
  $("step").textContent = step;
  $("step").hidden = !step;
}

function renderWeight(w) {
  if (!w || w.grams === undefined) return;
  state.weight = w;
  $("weight").textContent = w.grams > 0 ? kilograms(w.grams, state.locale) : t("nothing");
  renderStep();
  renderPhotoCaption();
}

function renderPhoto(p) {
  if (!p || !p.photo) return;
  state.photo = p;
  const img = $("photo");
  img.src = `/kiosk/photo.jpg?v=${p.photo}`;
  renderPhotoCaption();
}

// The product the checkout decided on for the photo's scene (or that it is
// asking), never the model's tag: the caption is the photo's text, and the
// image itself is decorative beside it.
function renderPhotoCaption() {
  const p = state.photo;
  if (!p) return;
  const b = state.basket || {};
  const line = (b.lines || []).find((l) => l.scene && l.scene === p.sceneId);
  const asked = b.question && b.question.scene === p.sceneId;
  const onScale = state.weight && state.weight.grams > 0;
  // A photo nothing was decided on, with nothing on the scale, is of
  // nothing the shopper has: not shown.
  $("photo").hidden = !line && !asked && !onScale;
  $("seen").textContent = line ? t("rungUpAs", { name: line.name }) : asked ? t("stepQuestion")
    : onScale ? t("looking") : "";
}

function renderReceipt(r) {
  $("receipt").hidden = !r;
  if (!r) return;
  const body = $("receipt-text").tBodies[0];
  body.replaceChildren(
    ...(r.lines || []).map((l) => row([[l.quantity > 1 ? `${l.quantity} × ${l.name}` : l.name],
      [l.byWeight ? kilograms(l.grams, state.locale) : t("each")], [price(l.priceMinor, r), "money"]])),
  );
  const foot = $("receipt-text").tFoot;
  foot.replaceChildren(
    row([[t("total")], [""], [price(r.totalMinor, r), "money"]]),
    row([[t("paidAmount")], [""], [price(r.tenderedMinor, r), "money"]]),
    row([[t("change")], [""], [price(r.changeMinor, r), "money"]]),
  );
  const when = r.paidMs ? new Date(r.paidMs).toLocaleTimeString(state.locale, { hour: "2-digit", minute: "2-digit" }) : "";
  $("receipt-caption").textContent = t("receiptCaption", { basket: r.basket, time: when });
}

function renderConnection() {
  const c = $("connection");
  c.textContent = !state.connected ? t("reconnecting") : state.checkoutUp ? t("connected") : t("checkoutDown");
  document.body.dataset.connected = String(state.connected);
  document.body.dataset.checkoutUp = String(state.checkoutUp);
}

function renderNotice() {
  const n = $("notice");
  n.hidden = state.checkoutUp;
  n.textContent = state.checkoutUp ? "" : state.notices.down || t("checkoutDownNotice");
  renderConnection();
  renderActions();
  renderStep();
}

function renderLiveRegion() {
  // A lane that speaks aloud can ask the page not to say everything twice.
  $("said").setAttribute("aria-live", state.announce ? "polite" : "off");
}

// The pay dialog's total is the basket's total now, not when it opened.
let dialogKind = null;
function renderPayDialog() {
  if (dialogKind !== "pay") return;
  const b = state.basket || {};
  const totalNow = b.totalMinor || 0;
  const question = !!b.question;
  let text = t("confirmPayText", { total: price(totalNow) });
  if (state.payTotal !== null && state.payTotal !== totalNow) text = t("totalChanged", { total: price(totalNow) });
  if (question) text += " " + t("payQuestionOpen");
  if ($("confirm-text").textContent !== text) $("confirm-text").textContent = text;
  $("confirm-yes").dataset.totalMinor = totalNow;
}

function confirmThen(kind, title, yes, command) {
  const dialog = $("confirm");
  dialogKind = kind;
  $("confirm-title").textContent = title;
  $("confirm-yes").textContent = yes;
  $("confirm-no").textContent = t("no");
  $("confirm-how").textContent = kind === "pay" ? t("payHow") : "";
  if (kind === "pay") {
    state.payTotal = (state.basket && state.basket.totalMinor) || 0;
    $("confirm-text").textContent = "";
    renderPayDialog();
  } else {
    $("confirm-text").textContent = t("confirmCancelText");
  }
  $("confirm-yes").onclick = () => {
    dialog.close();
    if (kind === "pay") {
      state.paying = true;
      $("pay-status").textContent = t("paying");
    }
    send(command);
  };
  $("confirm-no").onclick = () => dialog.close();
  dialog.showModal();
  $("confirm-no").focus();
}

// The dialog returns focus to its opener; a disabled opener (the basket was
// paid) would drop it on the page, so it goes to what the lane says.
$("confirm").addEventListener("close", () => {
  dialogKind = null;
  state.payTotal = null;
  setTimeout(() => {
    if (document.activeElement === document.body || (document.activeElement && document.activeElement.disabled)) $("said").focus();
  });
});

$("pay").addEventListener("click", () => confirmThen("pay", t("confirmPay"), t("yesPay"), { command: "pay" }));
$("cancel").addEventListener("click", () => confirmThen("cancel", t("confirmCancel"), t("yesCancel"), { command: "cancel" }));
$("total-button").addEventListener("click", () => send({ command: "total" }));
$("repeat").addEventListener("click", () => send({ command: "repeat" }));
$("void-last").addEventListener("click", () => send({ command: "void-last" }));
// The number keys answer as the keypad's do.
document.addEventListener("keydown", (e) => {
  if ($("confirm").open || !state.basket || !state.basket.question) return;
  if (/^[0-9]$/.test(e.key)) send({ command: "answer", choice: Number(e.key) });
});

function connect() {
  const events = new EventSource("/kiosk/events");
  events.addEventListener("open", () => {
    state.connected = true;
    renderConnection();
  });
  events.addEventListener("error", () => {
    state.connected = false;
    renderConnection();
  });
  const on = (type, fn) => events.addEventListener(type, (e) => fn(JSON.parse(e.data)));
  on("snapshot", (s) => {
    state.connected = true;
    state.locale = s.locale || state.locale;
    state.notices = s.notices || {};
    state.basket = s.basket;
    state.sentences = s.sentences || [];
    state.checkoutUp = s.checkoutUp !== false;
    state.announce = s.announce !== false;
    renderLiveRegion();
    showWords();
    renderWeight(s.weight);
    if (s.photo && s.photo.photo) renderPhoto(s.photo);
    renderBasket();
    renderHistory();
    if (state.sentences.length) $("said").textContent = state.sentences[state.sentences.length - 1].text;
    renderReceipt(s.receipt && (!s.basket || !s.basket.lines.length) ? s.receipt : null);
    renderNotice();
    document.body.dataset.seq = s.seq;
  });
  on("basket", (b) => {
    if (b.lines.length) renderReceipt(null);  // a new basket has begun
    state.basket = b;
    if (b.locale && b.locale !== state.locale) {
      state.locale = b.locale;
      showWords();
    }
    renderBasket();
    // For bench/kiosk_latency.mjs: publish-to-painted, in milliseconds.
    if (b.publishedMs) requestAnimationFrame(() => window.ceLatencies.push(Date.now() - b.publishedMs));
  });
  on("sentence", addSentence);
  on("spoken", (s) => {
    const x = state.sentences.find((y) => y.sentenceId === s.sentenceId);
    if (x && s.complete) x.spoken = true;
    renderHistory();
  });
  on("photo", renderPhoto);
  on("weight", renderWeight);
  on("receipt", (r) => {
    renderReceipt(r);
    if (state.paying) {
      state.paying = false;
      $("pay-status").textContent = "";
    }
    // The receipt is where the shopper is now: focus (and the reader) go there.
    $("receipt").focus();
  });
  on("locale", (l) => {
    state.locale = l.locale;
    state.notices = l.notices || {};
    showWords();
    renderBasket();
  });
  on("checkout", (c) => {
    state.checkoutUp = c.checkoutUp;
    renderNotice();
  });
}

// What the keyboard focuses below the sticky region scrolls out from under
// it (WCAG 2.4.11, focus not obscured).
new ResizeObserver(() => {
  const sticky = getComputedStyle($("now")).position === "sticky";
  document.documentElement.style.scrollPaddingTop = sticky ? `${$("now").offsetHeight + 8}px` : "";
}).observe($("now"));

showWords();
connect();
