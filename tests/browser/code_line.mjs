// The kiosk when a package was rung up by its barcode: the line shows the
// code read (the helper beside the shopper sees why no question came), and
// the page passes axe-core (WCAG 2.2 AA) in that state. Prints one JSON
// object of what it saw; exits non-zero with the reason when a step fails.
//
// node code_line.mjs KIOSK_URL SCREENSHOT_DIR
import { createRequire } from "node:module";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const axePath = require.resolve("axe-core/axe.min.js");
const [kioskUrl, shots] = process.argv.slice(2);
mkdirSync(shots, { recursive: true });
const seen = {};

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  userDataDir: mkdtempSync(path.join(tmpdir(), "ce-chromium-")),
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
try {
  const kiosk = await browser.newPage();
  await kiosk.setBypassCSP(true); // for axe-core's script only
  await kiosk.setViewport({ width: 1280, height: 800 });
  await kiosk.goto(kioskUrl);
  await kiosk.waitForSelector("#lines:not([hidden]) tbody tr", { timeout: 60000 });
  seen.line = await kiosk.$eval("#lines tbody tr", (tr) => [...tr.cells].map((c) => c.textContent.trim()));
  seen.code = await kiosk.$eval("#lines tbody tr small.code", (e) => e.textContent.trim()).catch(() => null);
  seen.question = await kiosk.$eval("#question", (e) => !e.hidden);
  await kiosk.addScriptTag({ path: axePath });
  seen.axe = await kiosk.evaluate(async () =>
    (await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] },
    })).violations.map((v) => v.id + ": " + v.help),
  );
  await kiosk.screenshot({ path: path.join(shots, "kiosk-code-line.png"), fullPage: true });
  console.log(JSON.stringify(seen, null, 2));
} catch (e) {
  console.log(JSON.stringify(seen, null, 2));
  console.error("code_line: " + e.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
