// The kiosk shows the step the checkout is at, whatever happens: driven in
// Chromium on a lane of real processes whose scale staff move through its
// twin (placed, lifted). Checks focus, the pay dialog's current total, a
// refused payment, a withdrawn question, a long history, and the checkout
// going down while the page is scrolled. Prints one JSON object of what it
// saw; exits non-zero with the reason when a step fails.
//
// node kiosk_steps.mjs KIOSK_URL SCREENSHOT_DIR
//   env CE_CLI: the command that reaches the lane; CE_CHECKOUT_PID: the checkout's process
import { execSync } from "node:child_process";
import { launchChromium, axeAndShoot, sleep } from "./browser_support.mjs";

const [kioskUrl, shots] = process.argv.slice(2);
const seen = { axe: {}, steps: [] };
const scale = (grams) =>
  execSync(`${process.env.CE_CLI} twin scale --set 'steps=[[600000, ${grams}]]'`, { stdio: "pipe" });
const text = (page, selector) => page.$eval(selector, (e) => e.textContent.trim());
const focused = (page) => page.evaluate(() => {
  const a = document.activeElement;
  return a === document.body ? "body" : a.id || (a.dataset.choice !== undefined ? `choice ${a.dataset.choice}` : a.tagName);
});
// The words of these cells that wrap inside themselves, and the page's width.
const brokenWords = (page, selector) => page.evaluate((selector) => {
  const broken = [];
  for (const cell of document.querySelectorAll(selector)) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode());) {
      for (const m of node.textContent.matchAll(/\S+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (tops.size > 1) broken.push(m[0]);
      }
    }
  }
  return { broken, scrollWidth: document.documentElement.scrollWidth };
}, selector);
const lines = (page) => page.$$eval("#lines:not([hidden]) tbody tr", (rows) => rows.map((r) => r.cells[0].textContent.trim()));

const browser = await launchChromium();
try {
  const kiosk = await browser.newPage();
  await kiosk.setBypassCSP(true);  // for axe-core's script only
  await kiosk.setViewport({ width: 1280, height: 800 });
  await kiosk.goto(kioskUrl);
  await kiosk.waitForFunction(() => document.getElementById("step").textContent.length > 0, { timeout: 30000 });
  seen.idleStep = await text(kiosk, "#step");
  seen.axe.idle = await axeAndShoot(kiosk, shots, "kiosk-idle");

  // An item: the question takes the focus; an answer gives it to what the lane says.
  scale(420);
  await kiosk.waitForSelector("#question:not([hidden]) button.choice", { timeout: 60000 });
  await sleep(200);
  seen.focusOnQuestion = await focused(kiosk);
  seen.questionStep = await text(kiosk, "#step");
  seen.caption = await text(kiosk, "#seen");
  seen.photoAlt = await kiosk.$eval("#photo", (i) => i.alt);
  await kiosk.keyboard.press("Enter");  // the focused first choice
  await kiosk.waitForFunction(() => document.querySelectorAll("#lines tbody tr").length === 1, { timeout: 20000 });
  await kiosk.waitForSelector("#question", { hidden: true, timeout: 20000 });
  await sleep(200);
  seen.focusAfterAnswer = await focused(kiosk);
  await kiosk.waitForFunction(() => /^Rung up as /.test(document.getElementById("seen").textContent), { timeout: 20000 });
  seen.captionAfterAnswer = await text(kiosk, "#seen");
  await kiosk.setViewport({ width: 320, height: 800 });
  seen.zoomedLine = await brokenWords(kiosk, "#lines td, #lines th, #said, #step");
  await kiosk.setViewport({ width: 1280, height: 800 });
  seen.steps.push("answered");

  // Lifted, and a second item placed: its question is open when the shopper pays.
  scale(0);
  await kiosk.waitForFunction(() => /Place/.test(document.getElementById("step").textContent), { timeout: 20000 });
  scale(420);
  await kiosk.waitForSelector("#question:not([hidden]) button.choice", { timeout: 60000 });
  await kiosk.click("#pay");
  await kiosk.waitForSelector("#confirm[open]");
  seen.payDialogWithQuestion = await text(kiosk, "#confirm-text");
  seen.payHow = await text(kiosk, "#confirm-how");
  seen.axe.payWithQuestion = await axeAndShoot(kiosk, shots, "kiosk-pay-while-asking");
  await kiosk.click("#confirm-yes");
  await kiosk.waitForFunction(() => /^Not paid/.test(document.getElementById("pay-status").textContent), { timeout: 20000 });
  seen.refused = await text(kiosk, "#pay-status");
  seen.linesAfterRefusal = await lines(kiosk);
  seen.questionAfterRefusal = await kiosk.$eval("#question", (q) => !q.hidden);
  seen.axe.refused = await axeAndShoot(kiosk, shots, "kiosk-payment-refused");
  seen.steps.push("payment refused");

  // The dialog open while the item is answered elsewhere (the keypad): its total follows.
  await kiosk.click("#pay");
  await kiosk.waitForSelector("#confirm[open]");
  seen.dialogBefore = await text(kiosk, "#confirm-text");
  await kiosk.evaluate(() => fetch("/kiosk/command", { method: "POST", headers: { "Content-Type": "application/json",
    "X-Kiosk-Token": document.querySelector('meta[name="kiosk-token"]').content }, body: JSON.stringify({ command: "answer", choice: 1 }) }));
  await kiosk.waitForFunction(() => /changed/.test(document.getElementById("confirm-text").textContent), { timeout: 20000 });
  seen.dialogAfter = await text(kiosk, "#confirm-text");
  await kiosk.click("#confirm-yes");
  await kiosk.waitForSelector("#receipt:not([hidden])", { timeout: 20000 });
  await sleep(300);
  seen.focusAfterPaying = await focused(kiosk);
  seen.receiptRows = await kiosk.$$eval("#receipt-text tbody tr", (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
  seen.receiptTotal = await kiosk.$eval("#receipt-text tfoot tr", (r) => [...r.cells].map((c) => c.textContent.trim()));
  seen.axe.receipt = await axeAndShoot(kiosk, shots, "kiosk-receipt-table");
  // 400% zoom: every word of the receipt on one line ("Banana", never "Banan a").
  await kiosk.setViewport({ width: 320, height: 800 });
  seen.zoomedWords = await brokenWords(kiosk, "#receipt-text td, #receipt-text th");
  await axeAndShoot(kiosk, shots, "kiosk-receipt-400-percent");
  await kiosk.setViewport({ width: 1280, height: 800 });
  seen.steps.push("paid");

  // A question withdrawn: the item lifted while the lane asks.
  scale(0);
  await sleep(1500);
  scale(420);
  await kiosk.waitForSelector("#question:not([hidden]) button.choice", { timeout: 60000 });
  scale(0);
  await kiosk.waitForSelector("#question", { hidden: true, timeout: 20000 });
  seen.saidAfterLift = await text(kiosk, "#said");
  seen.choicesLeft = await kiosk.$$eval("#choices button", (b) => b.length);
  seen.steps.push("question withdrawn");

  // A long history (20 and more sentences): the keyboard reaches its scroll region.
  await kiosk.focus("#repeat");
  for (let i = 0; i < 22; i++) {
    await kiosk.keyboard.press("Enter");
    await sleep(150);
  }
  await kiosk.waitForFunction(() => document.querySelectorAll("#history li").length >= 20, { timeout: 30000 });
  seen.history = await kiosk.$eval(".history .scroll", (s) => ({ items: s.querySelectorAll("li").length,
    overflows: s.scrollHeight > s.clientHeight, tabIndex: s.tabIndex }));
  seen.axe.longHistory = await axeAndShoot(kiosk, shots, "kiosk-long-history");

  // The checkout hangs while the page is scrolled to its end: the notice
  // and the disabled actions are on screen all the same.
  await kiosk.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  const checkout = Number(process.env.CE_CHECKOUT_PID);
  process.kill(checkout, "SIGSTOP");
  try {
    await kiosk.waitForSelector("#notice:not([hidden])", { timeout: 30000 });
    seen.down = await kiosk.evaluate(() => {
      const n = document.getElementById("notice").getBoundingClientRect();
      const pay = document.getElementById("pay").getBoundingClientRect();
      return {
        scrollY: window.scrollY,
        noticeOnScreen: n.top >= 0 && n.bottom <= window.innerHeight && n.height > 0,
        payOnScreen: pay.top >= 0 && pay.bottom <= window.innerHeight,
        disabled: ["pay", "total-button", "repeat", "cancel"].filter((id) => document.getElementById(id).disabled),
        connection: document.getElementById("connection").textContent,
        saidIsNotice: document.getElementById("said").textContent === document.getElementById("notice").textContent,
      };
    });
    seen.axe.down = await axeAndShoot(kiosk, shots, "kiosk-checkout-down-scrolled");
  } finally {
    process.kill(checkout, "SIGCONT");
  }
  await kiosk.waitForSelector("#notice", { hidden: true, timeout: 30000 });
  seen.enabledAgain = await kiosk.$eval("#total-button", (b) => !b.disabled);
  seen.steps.push("checkout down shown");
} catch (e) {
  console.log(JSON.stringify(seen, null, 2));
  console.error("kiosk_steps: " + (e.stack || e));
  process.exitCode = 1;
} finally {
  await browser.close();
}
if (!process.exitCode) console.log(JSON.stringify(seen, null, 2));
