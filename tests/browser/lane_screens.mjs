// Drives Debian's Chromium through the web module's pages of a running lane,
// as a shopper and a member of staff would, and checks each page and state
// with axe-core (WCAG 2.2 AA). Prints one JSON object of what it saw; exits
// non-zero with the reason when a step fails.
//
// node lane_screens.mjs KIOSK_URL CONSOLE_URL SCREENSHOT_DIR STAFF_USER STAFF_PASSWORD
//   env CE_CLI: the command that reaches the lane (restarts the web module)
//   env CE_CHECKOUT_PID: the checkout's process, stopped for a while
import { execSync } from "node:child_process";
import http from "node:http";
import { launchChromium, axeAndShoot } from "./browser_support.mjs";

const [kioskUrl, consoleUrl, shots, user, password] = process.argv.slice(2);
const seen = { axe: {}, steps: [] };

function fail(why) {
  console.log(JSON.stringify(seen, null, 2));
  console.error("lane_screens: " + why);
  process.exit(1);
}

async function axe(page, state) {
  seen.axe[state] = await axeAndShoot(page, shots, state);
}

const text = (page, selector) => page.$eval(selector, (e) => e.textContent.trim());
// A console view, reached by its link in the navigation.
async function view(page, name) {
  await page.click(`#views a[href="#${name}"]`);
  await page.waitForSelector(`section[data-view="${name}"]:not([hidden])`, { timeout: 10000 });
}
const step = (s) => seen.steps.push(s);

const browser = await launchChromium();
try {
  // ---- The kiosk, as the shopper sees it.
  const kiosk = await browser.newPage();
  await kiosk.setBypassCSP(true);  // for axe-core's script only; the module sends a strict CSP
  await kiosk.setViewport({ width: 1280, height: 900 });
  const csp = (await kiosk.goto(kioskUrl)).headers()["content-security-policy"] || "";
  if (!csp.includes("default-src 'self'")) fail("the kiosk page has no strict Content-Security-Policy: " + csp);
  // The lane asks which product it is: the candidates as buttons.
  await kiosk.waitForSelector("#question:not([hidden]) button.choice[data-choice='1']", { timeout: 60000 });
  seen.question = await text(kiosk, "#said");
  seen.choices = await kiosk.$$eval("#choices button", (bs) => bs.map((b) => b.textContent.trim()));
  await axe(kiosk, "kiosk-question");
  step("question shown");

  await kiosk.click("button.choice[data-choice='1']");
  await kiosk.waitForSelector("#lines:not([hidden]) tbody tr", { timeout: 20000 });
  await kiosk.waitForFunction(() => /kilogram/.test(document.getElementById("said").textContent), { timeout: 20000 });
  seen.line = await kiosk.$eval("#lines tbody tr", (tr) => [...tr.cells].map((c) => c.textContent.trim()));
  seen.said = await text(kiosk, "#said");
  seen.saidRegion = await kiosk.$eval("#said", (e) => e.getAttribute("aria-live"));
  seen.total = await text(kiosk, "#total");
  seen.photo = await kiosk.$eval("#photo", (i) => ({ shown: !i.hidden, width: i.naturalWidth, alt: i.alt }));
  await axe(kiosk, "kiosk-basket");
  step("line shown");

  // Staff see how soon the lane spoke (speech's figures, charted by uPlot).
  const early = await browser.newPage();
  await early.goto(consoleUrl);
  await early.waitForSelector("#login:not([hidden])");
  await early.type("#user", user);
  await early.type("#password", password);
  await early.click("#login-form button[type=submit]");
  await early.waitForSelector("#latency-chart canvas", { timeout: 20000 });
  seen.speed = await text(early, "#speed-summary");
  await early.waitForSelector("#lag-chart canvas", { timeout: 20000 });
  seen.lag = await text(early, "#lag-summary");
  await early.waitForFunction(() => document.getElementById("scene").textContent !== "no report yet", { timeout: 20000, polling: 100 });
  seen.scene = await text(early, "#scene");
  await early.click("#logout");  // sessions outlive restarts; this one ends here
  await early.waitForSelector("#login:not([hidden])", { timeout: 20000 });
  await early.close();
  await kiosk.bringToFront();
  step("speech latency charted");

  // 400% zoom: a 1280-pixel screen is 320 CSS pixels wide; nothing scrolls sideways.
  await kiosk.setViewport({ width: 320, height: 900, deviceScaleFactor: 1 });
  seen.zoom400 = await kiosk.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth,
  }));
  await axe(kiosk, "kiosk-400-percent");
  await kiosk.setViewport({ width: 1280, height: 900 });

  // The web module restarts: the page reconnects and shows the same basket.
  const seqBefore = await kiosk.$eval("body", (b) => b.dataset.seq);
  execSync(`${process.env.CE_CLI} restart web`, { stdio: "pipe" });
  await kiosk.waitForFunction(
    (before) => document.body.dataset.connected === "true" && document.body.dataset.seq !== before,
    { timeout: 30000 }, seqBefore);
  seen.afterRestart = await kiosk.$$eval("#lines tbody tr", (rows) => rows.map((r) => r.cells[0].textContent.trim()));
  step("reconnected after restart");

  // Keyboard only: Tab to Pay, Enter, then the dialog's Yes.
  for (let i = 0; i < 30; i++) {
    if (await kiosk.evaluate(() => document.activeElement && document.activeElement.id === "pay")) break;
    await kiosk.keyboard.press("Tab");
  }
  if (!(await kiosk.evaluate(() => document.activeElement.id === "pay"))) fail("Tab never reaches the Pay button");
  await kiosk.keyboard.press("Enter");
  await kiosk.waitForSelector("#confirm[open]");
  seen.confirm = await text(kiosk, "#confirm-text");
  await axe(kiosk, "kiosk-confirm-pay");
  await kiosk.keyboard.down("Shift");
  await kiosk.keyboard.press("Tab");
  await kiosk.keyboard.up("Shift");
  if (!(await kiosk.evaluate(() => document.activeElement.id === "confirm-yes"))) fail("Shift+Tab does not reach Yes in the dialog");
  await kiosk.keyboard.press("Enter");
  await kiosk.waitForSelector("#receipt:not([hidden])", { timeout: 20000 });
  seen.receipt = await text(kiosk, "#receipt-text");
  await kiosk.waitForFunction(() => /Paid/.test(document.getElementById("said").textContent), { timeout: 20000 });
  seen.paidSaid = await text(kiosk, "#said");
  await axe(kiosk, "kiosk-receipt");
  step("paid by keyboard");

  // A command from anywhere but the kiosk page is refused.
  seen.commandWithoutToken = await kiosk.evaluate(async () =>
    (await fetch("/kiosk/command", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ command: "cancel" }) })).status);

  // The checkout stops answering (SIGSTOP: hung, not dead): speech's own
  // notice is said, and the kiosk shows the same words until it is back.
  const checkoutPid = Number(process.env.CE_CHECKOUT_PID);
  process.kill(checkoutPid, "SIGSTOP");
  try {
    await kiosk.waitForSelector("#notice:not([hidden])", { timeout: 30000 });
    seen.notice = await text(kiosk, "#notice");
    await axe(kiosk, "kiosk-checkout-down");
    // Speech waits a moment (a restart at once is not worth a word), then says it.
    for (let i = 0; i < 100 && !seen.noticeSaid; i++) {
      seen.noticeSaid = execSync(`${process.env.CE_CLI} logs speech`, { encoding: "utf8" }).includes(seen.notice);
      if (!seen.noticeSaid) await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    process.kill(checkoutPid, "SIGCONT");
  }
  await kiosk.waitForSelector("#notice", { hidden: true, timeout: 30000 });
  step("checkout down shown");

  // ---- The staff console.
  const staff = await browser.newPage();
  await staff.setBypassCSP(true);
  await staff.setViewport({ width: 1280, height: 1000 });
  await staff.goto(consoleUrl);
  await staff.waitForSelector("#login:not([hidden])");
  await axe(staff, "console-login");
  await staff.type("#user", user);
  await staff.type("#password", "not the password");
  await staff.click("#login-form button[type=submit]");
  await staff.waitForFunction(() => document.getElementById("login-error").textContent.length > 0);
  seen.wrongPassword = await text(staff, "#login-error");
  await staff.type("#password", password);
  await staff.click("#login-form button[type=submit]");
  await staff.waitForSelector("#health:not([hidden]) #modules tbody tr[data-module='checkout']", { timeout: 20000 });
  seen.cookie = (await staff.cookies()).map((c) => ({ name: c.name, httpOnly: c.httpOnly, sameSite: c.sameSite }));
  // A link to another port of this host (a server any local user may run)
  // must carry no staff session: cookies are per host, not per port.
  const heard = [];
  const other = http.createServer((req, res) => {
    heard.push({ cookie: req.headers.cookie || "", authorization: req.headers.authorization || "" });
    res.end("elsewhere");
  });
  await new Promise((resolve) => other.listen(0, "127.0.0.1", resolve));
  const elsewhere = `http://127.0.0.1:${other.address().port}/console/api/session`;
  const followed = await browser.newPage();
  await followed.goto(elsewhere);
  await followed.close();
  await staff.evaluate((url) => fetch(url, { mode: "no-cors", credentials: "include" }), elsewhere);
  other.close();
  seen.otherPortHeard = heard;
  seen.modules = await staff.$$eval("#modules tbody tr", (rows) =>
    Object.fromEntries(rows.map((r) => [r.dataset.module, r.cells[1].textContent.trim()])));
  await staff.waitForFunction(() => document.querySelectorAll("#twin-module option").length > 3, { timeout: 20000 });
  await staff.waitForFunction(() => document.getElementById("upstream").textContent.length > 0, { timeout: 20000 });
  seen.upstream = await text(staff, "#upstream");
  await axe(staff, "console-lane");
  step("staff logged in");

  // A change without the CSRF token is refused, with the session's token.
  seen.twinWithoutCsrf = await staff.evaluate(async () => {
    const r = await fetch("/console/api/twin", { method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${sessionStorage.getItem("ce_staff")}` },
      body: JSON.stringify({ module: "checkout", patch: { threshold: 0.1 } }) });
    return { status: r.status, body: await r.json() };
  });

  await view(staff, "twins");
  await staff.select("#twin-module", "checkout");
  await staff.type("#twin-key", "threshold");
  await staff.type("#twin-value", "0.5");
  await staff.click("#twin-form button[type=submit]");
  await staff.waitForFunction(() => /Changed|Refused/.test(document.getElementById("twin-result").textContent), { timeout: 20000 });
  seen.twinResult = await text(staff, "#twin-result");
  step("twin changed");

  // The module restarts: staff stay logged in (the page is loaded afresh).
  execSync(`${process.env.CE_CLI} restart web`, { stdio: "pipe" });
  for (let tries = 0; ; tries++) {
    try {
      await staff.goto(consoleUrl);
      break;
    } catch (e) {
      if (tries > 50) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  await staff.waitForSelector("#health:not([hidden]) #modules tbody tr[data-module='checkout']", { timeout: 20000 });
  seen.loginAfterRestart = await staff.$eval("#login", (e) => !e.hidden);
  await staff.waitForFunction(() => document.querySelectorAll("#twin-module option").length > 3, { timeout: 20000 });
  step("still logged in after restart");

  // check, the checkout's log and the paid basket, as the shell would show them.
  seen.consoleViewAfterReload = await staff.$eval("#views a[aria-current=page]", (a) => a.getAttribute("href"));
  // By the keyboard: the lane view's charts and tables fill in as the
  // reloaded page hears the lane, and a pointer's click could land on
  // whatever moved under it.
  await staff.focus("#run-check");
  await staff.keyboard.press("Enter");
  try {
    await staff.waitForSelector("#check-results:not([hidden]) tbody tr", { timeout: 60000 });
  } finally {
    seen.checkStatus = await text(staff, "#check-status");
  }
  seen.checks = await staff.$$eval("#check-results tbody tr", (rows) =>
    rows.map((r) => ({ check: r.cells[0].textContent, status: r.cells[1].textContent, fix: r.cells[3].textContent })));
  await view(staff, "logs");
  await staff.select("#log-module", "checkout");
  await staff.waitForFunction(() => /checkout: /.test(document.getElementById("log-lines").textContent), { timeout: 20000 });
  seen.logHasLine = await staff.$eval("#log-lines", (p) => p.textContent.includes("Banana, 0.42 kilograms, 1 dollar 26."));
  await view(staff, "baskets");
  const basketRows = () => staff.$$eval("#basket-list tbody tr", (rows) =>
    rows.map((r) => [...r.cells].map((c) => c.textContent)));
  await staff.waitForSelector("#basket-list tbody tr", { timeout: 20000 });
  seen.baskets = await basketRows();
  await staff.select("#baskets-status", "paid");
  await staff.click("#baskets-form button[type=submit]");
  await staff.waitForFunction(() => document.querySelectorAll("#basket-list tbody tr").length === 1, { timeout: 20000 });
  seen.paidBaskets = await basketRows();
  await axe(staff, "console-checked");
  step("check, logs and baskets");

  // What the lane learnt: the kiosk's answer (Banana) with its photo; staff remove it.
  await view(staff, "model");
  await staff.waitForSelector("#learning-tags:not([hidden]) tbody tr", { timeout: 20000 });
  seen.learnt = await staff.$$eval("#learning-tags tbody tr", (rows) =>
    rows.map((r) => [r.cells[0].textContent, r.cells[1].textContent, r.cells[3].textContent]));
  await staff.waitForFunction(() => {
    const img = document.querySelector("#learning-tags tbody img");
    return img && img.complete && img.naturalWidth > 0;
  }, { timeout: 20000 });
  seen.learntPhoto = true;
  seen.learningSummary = await text(staff, "#learning-summary");
  await axe(staff, "console-learnt");
  await staff.click("#learning-tags tbody figure button");
  await staff.waitForFunction(() => /Removed|Refused/.test(document.getElementById("learning-result").textContent), { timeout: 20000 });
  seen.learningRemoved = await text(staff, "#learning-result");
  seen.learntAfter = await staff.$eval("#learning-tags", (t) => t.hidden);
  step("learnt example seen and removed");

  // Deploy: the running deployment, loaded into the console, the checkout's rounding changed.
  await view(staff, "deploy");
  seen.deployFocus = await staff.evaluate(() => document.activeElement.id);
  await staff.click("#load-deployment");
  await staff.waitForFunction(() => document.getElementById("manifest").value.includes("modulesContent"), { timeout: 20000 });
  const manifest = JSON.parse(await staff.$eval("#manifest", (t) => t.value));
  manifest.modulesContent.checkout["properties.desired"].rounding = "down";
  await staff.$eval("#manifest", (t, m) => {
    t.value = m;
    t.dispatchEvent(new Event("input"));
  }, JSON.stringify(manifest, null, 2));
  seen.deployPreview = await staff.$$eval("#deploy-preview li", (lis) => lis.map((l) => l.textContent));
  await staff.click("#deploy-form button[type=submit]");
  await staff.waitForFunction(() => /Deployed|Rolled back|Refused/.test(document.getElementById("deploy-result").textContent), { timeout: 120000 });
  seen.deployResult = await text(staff, "#deploy-result");
  await axe(staff, "console-deployed");
  step("deployed");

  // The shopper's language: staff set the checkout's locale; the open kiosk follows.
  await view(staff, "twins");
  await staff.select("#twin-module", "checkout");
  await staff.$eval("#twin-key", (i) => { i.value = ""; });
  await staff.$eval("#twin-value", (i) => { i.value = ""; });
  await staff.type("#twin-key", "locale");
  await staff.type("#twin-value", "de-DE");
  await staff.click("#twin-form button[type=submit]");
  await kiosk.bringToFront();  // a page in the background gets no animation frames
  await kiosk.waitForFunction(() => document.documentElement.lang === "de-DE", { timeout: 20000, polling: 100 });
  seen.german = { title: await text(kiosk, "#title"), pay: await text(kiosk, "#pay"), basket: await text(kiosk, "#basket-title") };
  await axe(kiosk, "kiosk-de-DE");
  step("kiosk in German");

  await staff.bringToFront();

  // Every view: axe, a screenshot, and at 400% zoom (320 CSS pixels) nothing scrolls sideways.
  seen.reflow = {};
  for (const name of ["lane", "camera", "baskets", "model", "enroll", "twins", "deploy", "logs"]) {
    await staff.setViewport({ width: 1280, height: 1000 });
    await view(staff, name);
    await new Promise((r) => setTimeout(r, 300));
    await axe(staff, `console-view-${name}`);
    await staff.setViewport({ width: 320, height: 800, deviceScaleFactor: 1 });
    await new Promise((r) => setTimeout(r, 300));
    seen.reflow[name] = await staff.evaluate(() => {
      const width = document.documentElement.clientWidth;
      // What sticks out, innermost first, to say what to fix.
      const wide = [...document.querySelectorAll("body *")].filter((e) => e.offsetParent && e.getBoundingClientRect().right > width + 1)
        .filter((e) => ![...e.children].some((c) => c.getBoundingClientRect().right > width + 1))
        .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}${e.id ? "#" + e.id : ""}.${e.className}`);
      return { scrollWidth: document.documentElement.scrollWidth, clientWidth: width, wide };
    });
    await axe(staff, `console-view-${name}-400-percent`);
  }
  await staff.setViewport({ width: 1280, height: 1000 });
  await view(staff, "model");
  step("every console view");

  // Another model: a Custom Vision export from the shared folder.
  seen.modelBefore = await text(staff, "#model-served");
  await staff.type("#model-package", process.env.CE_OTHER_MODEL);
  await staff.click("#model-form button[type=submit]");
  await staff.waitForFunction(() => /Now serving|kept|Refused|Not serving/.test(document.getElementById("model-result").textContent), { timeout: 30000 });
  seen.modelResult = await text(staff, "#model-result");
  seen.modelAfter = await text(staff, "#model-served");
  // The model view in staff's words: labelled measures with their photo counts.
  await staff.waitForSelector("#model-metrics:not([hidden]) tbody tr", { timeout: 20000 });
  seen.measures = await staff.$$eval("#model-metrics tbody tr", (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
  seen.confusions = await staff.$$eval("#model-confusions tbody tr", (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent.trim())));
  await axe(staff, "console-model-measured");
  step("model switched");
} catch (e) {
  fail(e.stack || String(e));
} finally {
  await browser.close();
}
console.log(JSON.stringify(seen, null, 2));
