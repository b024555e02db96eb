// What every browser test needs: Debian's Chromium through puppeteer-core,
// axe-core (WCAG 2.2 AA) on a page in a named state with its screenshot.
import { createRequire } from "node:module";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import puppeteer from "puppeteer-core";

const require = createRequire(import.meta.url);
const axePath = require.resolve("axe-core/axe.min.js");

export async function launchChromium() {
  return puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    userDataDir: mkdtempSync(path.join(tmpdir(), "ce-chromium-")),
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

// The violations axe-core finds in the page as it is now ("id: help @ nodes"),
// and a full-page screenshot `state`.png in `shots`.
export async function axeAndShoot(page, shots, state) {
  mkdirSync(shots, { recursive: true });
  await page.addScriptTag({ path: axePath });
  const violations = await page.evaluate(async () =>
    (await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"] },
    })).violations.map((v) => `${v.id}: ${v.help} @ ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")}`),
  );
  await page.screenshot({ path: path.join(shots, state + ".png"), fullPage: true });
  return violations;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
