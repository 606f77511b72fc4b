// Loads the sign-in page and an app's users page in Chromium over an
// emulated 4 Mbit/s line with 150 ms latency, each time in a new browser
// context (nothing cached), and prints what was downloaded from /pkg and
// how long the page took to become interactive (hydrated).
//   node measure.mjs <base url> <app id> <runs>    (run from end2end/)
import { createRequire } from "node:module";
import { statSync, existsSync } from "node:fs";
import { resolve } from "node:path";

const require = createRequire(resolve("package.json"));
const { chromium } = require("@playwright/test");

const [base, appId, runs] = [process.argv[2], process.argv[3], Number(process.argv[4] ?? 5)];
const site = resolve("../target/site");
const line = { offline: false, latency: 150, downloadThroughput: 4e6 / 8, uploadThroughput: 4e6 / 8 };
const owner = { email: "bench@example.com", password: "a long enough password" };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

// Signs the context in through the sign-in form's server function, without
// loading a page: the bundle stays out of the cache.
async function signIn(context) {
  const form = await (await context.request.get(`${base}/sign-in`)).text();
  const action = form.match(/action="(\/api\/[^"]*sign_in[^"]*)"/)[1];
  const res = await context.request.post(`${base}${action}`, { form: owner, headers: { accept: "application/json" } });
  if (!res.ok()) throw new Error(`sign-in: ${res.status()} ${await res.text()}`);
}

async function load(path, signedIn) {
  const context = await browser.newContext();
  if (signedIn) await signIn(context);
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  await cdp.send("Network.emulateNetworkConditions", line);
  const files = [];
  page.on("requestfinished", async (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith("/pkg/")) {
      const sizes = await request.sizes();
      files.push({ path: url.pathname, wire: sizes.responseBodySize + sizes.responseHeadersSize });
    }
  });
  const start = Date.now();
  await page.goto(`${base}${path}`);
  await page.locator("body[data-hydrated]").waitFor({ state: "attached", timeout: 60_000 });
  const interactive = Date.now() - start;
  await page.waitForLoadState("networkidle");
  await context.close();
  return { interactive, files };
}

const size = (file) => (existsSync(file) ? statSync(file).size : NaN);
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;
const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];

console.log(`| page | files from /pkg | raw | gzip | brotli | on the wire | time to interactive, median of ${runs} (min-max) |`);
console.log("|---|---|---|---|---|---|---|");
for (const [name, path, signedIn] of [["sign-in", "/sign-in", false], ["users", `/apps/${appId}/users`, true]]) {
  const loads = [];
  for (let i = 0; i < runs; i++) loads.push(await load(path, signedIn));
  const files = loads[0].files;
  const total = (suffix) => files.reduce((sum, f) => sum + size(`${site}${f.path}${suffix}`), 0);
  const wire = files.reduce((sum, f) => sum + f.wire, 0);
  const times = loads.map((l) => l.interactive);
  const names = files.map((f) => f.path.replace("/pkg/", "")).join(", ");
  console.log(`| ${name} | ${names} | ${kb(total(""))} | ${kb(total(".gz"))} | ${kb(total(".br"))} | ${kb(wire)} | ` +
    `${(median([...times]) / 1000).toFixed(2)} s (${(Math.min(...times) / 1000).toFixed(2)}-${(Math.max(...times) / 1000).toFixed(2)}) |`);
}
await browser.close();
