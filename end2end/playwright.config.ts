import { defineConfig } from "@playwright/test";
import { tmpdir } from "node:os";
import { join } from "node:path";

// One server on a fresh SQLite file for the whole run: the specs build on
// each other (the first creates the owner), so they run in order.
const port = Number(process.env.E2E_PORT ?? 3100);
// The specs seed demo data into the same file with the CLI. Workers load
// this file again, inheriting the runner's environment: they keep its file.
process.env.E2E_DATABASE_URL ??= `sqlite://${join(tmpdir(), `switchboard-e2e-${process.pid}-${Date.now()}.db`)}`;

export default defineConfig({
  testDir: "./tests",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  webServer: {
    command: `../target/${process.env.E2E_PROFILE ?? "debug"}/switchboard serve --addr 127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      DATABASE_URL: process.env.E2E_DATABASE_URL,
      LEPTOS_SITE_ROOT: "../target/site",
      RUST_LOG: "warn",
    },
  },
});
