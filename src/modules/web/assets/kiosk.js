// The shopper's screen: shows what the lane says and holds, pushed from the
// web module (server-sent events); sends only what the keypad could.
import { words, fill, money, kilograms } from "/assets/strings.js";

const $ = (id) => document.getElementById(id);
const token = document.querySelector('meta[name="kiosk-token"]').content;
window.ceLatencies = [];
const state = { locale: "en-US", basket: null, sentences: [], notices: {}, checkoutUp: true };

function t(key, values = {}) {
  return fill(words(state.locale)[key] ?? words("en-US")[key] ?? key, values);
}

function showWords() {
  document.documentElement.lang = state.locale;
  for (const el of document.querySelectorAll("[data-text]")) el.textContent = t(el.dataset.text);
  document.title = t("title");
}

async function send(command) {
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
  showSaid(s.text);
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

function price(minor) {
  const b = state.basket || {};
  return money(minor, b.currency, b.minorUnits, state.locale);
}

function renderBasket() {
  const b = state.basket;
  const lines = (b && b.lines) || [];
  $("empty").hidden = lines.length > 0;
  $("lines").hidden = lines.length === 0;
  $("lines").tBodies[0].replaceChildren(
    ...lines.map((l) => {
      const tr = document.createElement("tr");
      tr.dataset.line = l.line;
      const name = document.createElement("td");
      name.textContent = l.quantity > 1 ? `${l.quantity} × ${l.name}` : l.name;
      if (l.code) {
        // Rung up by its code, not by what the camera guessed: say which.
        const code = document.createElement("small");
        code.className = "code";
        code.textContent = t("barcode", { code: l.code });
        // A space, not a line break: read aloud as "Oat milk Barcode 4006...".
        name.append(" ", code);
      }
      const weight = document.createElement("td");
      weight.textContent = l.byWeight ? kilograms(l.grams, state.locale) : t("each");
      if (l.scaleGrams)
        weight.textContent = t("label", {
          label: kilograms(l.grams, state.locale),
          scale: kilograms(l.scaleGrams, state.locale),
        });
      const cost = document.createElement("td");
      cost.className = "money";
      cost.textContent = price(l.priceMinor);
      tr.append(name, weight, cost);
      return tr;
    }),
  );
  const voids = (b && b.voids) || [];
  $("voids").hidden = voids.length === 0;
  $("void-list").replaceChildren(
    ...voids.map((v) => {
      const li = document.createElement("li");
      li.textContent = `${v.name}, ${price(v.priceMinor)}`;
      return li;
    }),
  );
  $("total").textContent = price((b && b.totalMinor) || 0);
  $("pay").disabled = lines.length === 0;
  $("cancel").disabled = lines.length === 0 && voids.length === 0;
  $("void-last").disabled = lines.length === 0;
  renderQuestion();
}

function renderQuestion() {
  const q = state.basket && state.basket.question;
  $("question").hidden = !q;
  if (!q) return $("choices").replaceChildren();
  const buttons = (q.products || []).map((p) =>
    choiceButton(p.choice, `${p.choice}  ${p.name || p.id}`),
  );
  if (q.group) buttons.push(choiceButton(q.group.choice, `${q.group.choice}  ${t("groupChoice", { group: q.group.displayName || q.group.name })}`));
  buttons.push(choiceButton(0, `0  ${t("none")}`));
  $("choices").replaceChildren(...buttons);
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

function renderWeight(w) {
  if (!w || w.grams === undefined) return;
  $("weight").textContent = w.grams > 0 ? kilograms(w.grams, state.locale) : t("nothing");
}

function renderPhoto(p) {
  if (!p || !p.photo) return;
  const img = $("photo");
  img.src = `/kiosk/photo.jpg?v=${p.photo}`;
  img.hidden = false;
  const top = (p.predictions || [])[0];
  img.alt = top ? t("seenAs", { name: top.tagName }) : "";
  $("seen").textContent = top ? t("seenAs", { name: top.tagName }) : "";
}

function renderReceipt(r) {
  $("receipt").hidden = !r;
  $("receipt-text").textContent = r ? r.text || "" : "";
}

function renderNotice() {
  const n = $("notice");
  n.hidden = state.checkoutUp;
  n.textContent = state.checkoutUp ? "" : state.notices.down || "Please wait, the checkout is starting again.";
}

function confirmThen(title, text, yes, command) {
  const dialog = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-yes").textContent = yes;
  $("confirm-no").textContent = t("no");
  $("confirm-yes").onclick = () => {
    dialog.close();
    send(command);
  };
  $("confirm-no").onclick = () => dialog.close();
  dialog.showModal();
  $("confirm-no").focus();
}

$("pay").addEventListener("click", () =>
  confirmThen(t("confirmPay"), t("confirmPayText", { total: $("total").textContent }), t("yesPay"), { command: "pay" }),
);
$("cancel").addEventListener("click", () =>
  confirmThen(t("confirmCancel"), t("confirmCancelText"), t("yesCancel"), { command: "cancel" }),
);
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
    $("connection").textContent = t("connected");
    document.body.dataset.connected = "true";
  });
  events.addEventListener("error", () => {
    $("connection").textContent = t("reconnecting");
    document.body.dataset.connected = "false";
  });
  const on = (type, fn) => events.addEventListener(type, (e) => fn(JSON.parse(e.data)));
  on("snapshot", (s) => {
    state.locale = s.locale || state.locale;
    state.notices = s.notices || {};
    state.basket = s.basket;
    state.sentences = s.sentences || [];
    state.checkoutUp = s.checkoutUp !== false;
    showWords();
    renderBasket();
    renderHistory();
    if (state.sentences.length) $("said").textContent = state.sentences[state.sentences.length - 1].text;
    renderWeight(s.weight);
    renderPhoto(s.photo);
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
  on("receipt", renderReceipt);
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

showWords();
connect();
