// How soon the kiosk shows what the checkout did: from the checkout
// publishing a basket (its message's timestamp) to the page having painted
// it (the next animation frame after the DOM changed), in Debian's Chromium,
// over N scans of the full running lane (the shipped manifest, web on a free
// port, speech on the "clock" device). Target: p95 under 100 ms.
//
//   node bench/kiosk_latency.mjs [--scans 40] [--build build]
//   (puppeteer-core from tests/browser, installed by scripts/install-deps.sh)
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const require = createRequire(path.join(root, "tests/browser/package.json"));
const puppeteer = require("puppeteer-core");
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const scans = Number(arg("--scans", 40));
const binary = path.join(arg("--build", path.join(root, "build")), "src", "checkout-edge");

const work = mkdtempSync(path.join(tmpdir(), "ce-kiosk-latency-"));
copyFileSync(path.join(root, "config/catalogue.json"), path.join(work, "catalogue.json"));
const demo = JSON.parse(readFileSync(path.join(root, "config/demo-scenario.json")));
const items = Array.from({ length: scans }, (_, i) => demo.items[i % demo.items.length]);
writeFileSync(path.join(work, "demo-scenario.json"),
  JSON.stringify({ leadInMs: 5000, gapMs: 800, itemMs: 2700, settleMs: 1500, items }));
const manifest = JSON.parse(readFileSync(path.join(root, "config/deployment.json")));
const content = manifest.modulesContent;
content.speech["properties.desired"] = { ...content.speech["properties.desired"], device: "clock", wavDir: "" };
content.web["properties.desired"].port = 0;
writeFileSync(path.join(work, "deployment.json"), JSON.stringify(manifest));

const state = path.join(work, "state");
const lane = spawn(binary, ["--state-dir", state, "run", "--manifest", path.join(work, "deployment.json")],
  { stdio: "ignore" });
const cli = (...a) => execFileSync(binary, ["--state-dir", state, ...a], { encoding: "utf8" });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let kiosk = "";
for (let i = 0; i < 100 && !kiosk; i++) {
  await sleep(300);
  try {
    kiosk = JSON.parse(cli("twin", "web")).reported?.kioskUrl || "";
  } catch {}
}
if (!kiosk) {
  lane.kill("SIGTERM");
  throw new Error("the web module never reported its address; see " + state);
}

const browser = await puppeteer.launch({
  executablePath: "/usr/bin/chromium", headless: true,
  userDataDir: mkdtempSync(path.join(tmpdir(), "ce-chromium-")),
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage();
await page.goto(kiosk);
const seconds = (5000 + scans * 3500) / 1000 + 5;
console.log(`${scans} scans (${seconds.toFixed(0)} s) on ${kiosk}`);
await sleep(seconds * 1000);
const latencies = (await page.evaluate(() => window.ceLatencies)).sort((a, b) => a - b);
await browser.close();
lane.kill("SIGTERM");
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
console.log(JSON.stringify({
  baskets: latencies.length, p50Ms: at(0.5), p95Ms: at(0.95), maxMs: latencies[latencies.length - 1],
  under100: latencies.filter((l) => l < 100).length,
}));
