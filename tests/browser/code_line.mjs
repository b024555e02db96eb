// The kiosk when a package was rung up by its barcode: the line shows the
// code read (the helper beside the shopper sees why no question came), and
// the page passes axe-core (WCAG 2.2 AA) in that state. Prints one JSON
// object of what it saw; exits non-zero with the reason when a step fails.
//
// node code_line.mjs KIOSK_URL SCREENSHOT_DIR
import { launchChromium, axeAndShoot } from "./browser_support.mjs";

const [kioskUrl, shots] = process.argv.slice(2);
const seen = {};

const browser = await launchChromium();
try {
  const kiosk = await browser.newPage();
  await kiosk.setBypassCSP(true); // for axe-core's script only
  await kiosk.setViewport({ width: 1280, height: 800 });
  await kiosk.goto(kioskUrl);
  await kiosk.waitForSelector("#lines:not([hidden]) tbody tr", { timeout: 60000 });
  seen.line = await kiosk.$eval("#lines tbody tr", (tr) => [...tr.cells].map((c) => c.textContent.trim()));
  seen.code = await kiosk.$eval("#lines tbody tr small.code", (e) => e.textContent.trim()).catch(() => null);
  seen.question = await kiosk.$eval("#question", (e) => !e.hidden);
  seen.saidLive = await kiosk.$eval("#said", (e) => e.getAttribute("aria-live"));
  seen.axe = await axeAndShoot(kiosk, shots, "kiosk-code-line");
  console.log(JSON.stringify(seen, null, 2));
} catch (e) {
  console.log(JSON.stringify(seen, null, 2));
  console.error("code_line: " + e.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
