// Loads the sign-in page, the apps list and an app's users page in Chromium
// over an emulated 4 Mbit/s line with 150 ms latency, each time in a new
// browser context (nothing cached), and prints what was downloaded from /pkg
// and how long the page took to become interactive (hydrated). Then, from
// the split manifest, what a first visit to each part of the dashboard
// downloads.
//   node measure.mjs <base url> <app id> <runs>    (run from end2end/)
import { createRequire } from "node:module";
import { statSync, existsSync, readdirSync, readFileSync } from "node:fs";
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

const gzipOf = (files) => files.map((f) => size(`${site}/pkg/${f}.gz`));
const largest = (files) => kb(Math.max(...gzipOf(files)));
const sum = (files, suffix) => files.reduce((total, f) => total + size(`${site}/pkg/${f}${suffix}`), 0);

console.log(`| page | files from /pkg | raw | gzip | brotli | largest file, gzip | on the wire | time to interactive, median of ${runs} (min-max) |`);
console.log("|---|---|---|---|---|---|---|---|");
for (const [name, path, signedIn] of [["sign-in", "/sign-in", false], ["apps", "/apps", true], ["users", `/apps/${appId}/users`, true]]) {
  const loads = [];
  for (let i = 0; i < runs; i++) loads.push(await load(path, signedIn));
  const files = loads[0].files.map((f) => f.path.replace("/pkg/", ""));
  const wire = loads[0].files.reduce((total, f) => total + f.wire, 0);
  const times = loads.map((l) => l.interactive);
  console.log(`| ${name} | ${files.length} | ${kb(sum(files, ""))} | ${kb(sum(files, ".gz"))} | ${kb(sum(files, ".br"))} | ` +
    `${largest(files)} | ${kb(wire)} | ` +
    `${(median([...times]) / 1000).toFixed(2)} s (${(Math.min(...times) / 1000).toFixed(2)}-${(Math.max(...times) / 1000).toFixed(2)}) |`);
}
await browser.close();

// Every page loads the main module, its JavaScript, the loader of the split
// chunks and the stylesheet; a part's first page adds the part's chunks.
const pkg = readdirSync(`${site}/pkg`);
const manifestFile = pkg.find((f) => f.startsWith("__wasm_split_manifest.") && f.endsWith(".json"));
if (manifestFile) {
  const common = pkg.filter((f) => /^(switchboard\.[^.]+\.(wasm|js|css)|__wasm_split\.[^.]+\.js)$/.test(f));
  const manifest = JSON.parse(readFileSync(`${site}/pkg/${manifestFile}`, "utf8"));
  console.log();
  console.log("| first visit to | files | raw | gzip | brotli | largest file, gzip |");
  console.log("|---|---|---|---|---|---|");
  console.log(`| any page: the main module, JS, CSS | ${common.length} | ${kb(sum(common, ""))} | ${kb(sum(common, ".gz"))} | ${kb(sum(common, ".br"))} | ${largest(common)} |`);
  for (const [part, chunks] of Object.entries(manifest).sort()) {
    const files = [...common, ...chunks.map((c) => `${c}.wasm`)];
    console.log(`| a page of \`${part.replace(/_\d+$/, "")}\` | ${files.length} | ${kb(sum(files, ""))} | ${kb(sum(files, ".gz"))} | ` +
      `${kb(sum(files, ".br"))} | ${largest(chunks.map((c) => `${c}.wasm`))} |`);
  }
}
