import { execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { expect, test, type Browser, type Page } from "@playwright/test";

const owner = { email: "owner@example.com", name: "Olive Owner", password: "correct horse battery staple" };

// A page that logs an error (a failed hydration, a panic, a 404 asset) fails
// its test; `expected` names the refusals a test provokes on purpose, which
// the browser logs as failed loads.
function failOnConsoleErrors(page: Page, expected: RegExp[] = []) {
  const errors: string[] = [];
  // A script, style or connection the Content-Security-Policy blocks fails the test too.
  page.addInitScript(() =>
    document.addEventListener("securitypolicyviolation", (e) =>
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`),
    ),
  );
  page.on("console", (msg) => {
    if (msg.type() === "error" && !expected.some((e) => e.test(msg.text()))) errors.push(msg.text());
  });
  page.on("pageerror", (err) => errors.push(err.message));
  return () => expect(errors, "console errors").toEqual([]);
}

async function hydrated(page: Page) {
  await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
}

async function signIn(page: Page) {
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("Email").fill(owner.email);
  await page.getByLabel("Password").fill(owner.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/apps$/);
}

// The App ID in an app page's address (a form sent back to the page may
// leave an empty query on it).
function appIdIn(url: string): string {
  return new URL(url).pathname.split("/")[2];
}

// Opens the development app and answers its App ID.
async function openDevApp(page: Page) {
  await signIn(page);
  await page.locator(".app-card", { hasText: "Chat (dev)" }).getByRole("link").click();
  // The router changes the URL once the page's part of the bundle is loaded.
  await expect(page).toHaveURL(/\/apps\/[0-9a-f]+/);
  return appIdIn(page.url());
}

// A REST API key made in the dashboard to set a scene, as a developer's
// backend would, and the users it creates; answers the request options.
async function sceneOf(page: Page, appId: string, keyName: string, users: string[][]) {
  await page.goto(`/apps/${appId}`);
  await hydrated(page);
  await page.locator("#create-key").getByLabel("Name").fill(keyName);
  await page.locator("#create-key").getByRole("button", { name: "Create key" }).click();
  const key = (await page.getByTestId("new-api-key").textContent())!;
  const rest = { headers: { appid: appId, apikey: key } };
  for (const [uid, name] of users) {
    expect((await page.request.post("/v3/users", { ...rest, data: { uid, name } })).status()).toBe(200);
  }
  return rest;
}

test.describe.serial("an operator's first day", () => {
  test("the first visitor creates the owner account", async ({ page }) => {
    const noErrors = failOnConsoleErrors(page);
    const answer = await page.goto("/");
    await expect(page).toHaveURL(/\/setup$/);
    await hydrated(page);
    // The page hydrated under a policy that runs only scripts with its nonce.
    expect(answer!.headers()["content-security-policy"]).toMatch(/script-src 'nonce-[^']+' 'strict-dynamic'/);

    await page.getByLabel("Email").fill(owner.email);
    await page.getByLabel("Name").fill(owner.name);
    const password = page.getByLabel("Password (at least 12 characters)");
    await password.fill("too short");
    await expect(page.getByText("A password has at least 12 characters.")).toBeVisible();
    await password.fill(owner.password);
    await expect(page.getByText("A password has at least 12 characters.")).toHaveCount(0);
    await page.getByRole("button", { name: "Create owner account" }).click();

    await expect(page).toHaveURL(/\/apps$/);
    await expect(page.getByText(owner.name)).toBeVisible();
    noErrors();
  });

  test("the owner signs out and back in", async ({ page }) => {
    const noErrors = failOnConsoleErrors(page, [/status of 401 \(Unauthorized\)/]);
    await page.goto("/setup");
    await expect(page).toHaveURL(/\/sign-in$/);
    await hydrated(page);
    await page.getByLabel("Email").fill(owner.email);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toContainText("The email or password is wrong.");
    await signIn(page);
    noErrors();
  });

  test("the owner creates a development app and a production app", async ({ page }) => {
    const noErrors = failOnConsoleErrors(page);
    await signIn(page);
    await hydrated(page);
    const form = page.locator("#create-app");

    await form.getByLabel("Name").fill("Chat (dev)");
    await form.getByRole("button", { name: "Create app" }).click();
    const devCard = page.locator(".app-card", { hasText: "Chat (dev)" });
    await expect(devCard).toBeVisible();
    await expect(devCard.locator(".badge")).toHaveText("Development");
    await expect(devCard.locator(".app-id")).toHaveText(/^[0-9a-f]{16}$/);
    // The form says what it made and starts empty again: a second click makes no duplicate.
    await expect(page.locator(".notice", { hasText: "Created Chat (dev)" })).toBeVisible();
    await expect(form.getByLabel("Name")).toHaveValue("");

    await form.getByLabel("Name").fill("Chat");
    await form.locator("input[value=production]").check();
    await form.getByLabel("Region").selectOption("eu");
    await form.getByRole("button", { name: "Create app" }).click();
    const prodCard = page.locator(".app-card.env-production", { hasText: "Chat" });
    await expect(prodCard).toBeVisible();
    await expect(prodCard.locator(".badge")).toHaveText("Production");

    await prodCard.getByRole("link").click();
    await expect(page.locator(".production-banner")).toBeVisible();
    noErrors();
  });

  test("a REST API key is shown once, then revoked", async ({ page }) => {
    const noErrors = failOnConsoleErrors(page);
    await signIn(page);
    await page.locator(".app-card", { hasText: "Chat (dev)" }).getByRole("link").click();
    await hydrated(page);
    await expect(page.locator(".production-banner")).toHaveCount(0);

    const form = page.locator("#create-key");
    await form.getByLabel("Name").fill("Backend");
    await form.getByRole("button", { name: "Create key" }).click();
    const shown = page.getByTestId("new-api-key");
    await expect(shown).toHaveText(/^[0-9a-f]{40}$/);
    const key = (await shown.textContent())!;

    const row = page.locator("tr[data-key-name=Backend]");
    await expect(row).toContainText("REST API Key");
    await expect(row).toContainText(key.slice(0, 8));
    expect(await page.content()).toContain(key);

    await page.reload();
    await hydrated(page);
    await expect(page.locator("tr[data-key-name=Backend]")).toBeVisible();
    expect(await page.content(), "after a reload the key is gone for good").not.toContain(key);

    // Revoking asks for a tick first.
    const backend = page.locator("tr[data-key-name=Backend]");
    await backend.getByText("Revoke", { exact: true }).click();
    await backend.getByLabel("Whatever uses this key stops working at once").check();
    await backend.getByRole("button", { name: "Revoke key" }).click();
    await expect(backend).toContainText("Revoked");

    const appId = appIdIn(page.url());
    const res = await page.request.get("/v3/apikeys", { headers: { appid: appId, apikey: key } });
    expect(res.status()).toBe(401);
    expect((await res.json()).error.code).toBe("AUTH_ERR_APIKEY_NOT_FOUND");

    await page.getByRole("link", { name: "Activity" }).click();
    await expect(page.locator("table.activity")).toContainText("apikey.revoke");
    noErrors();
  });

  test("every page hydrates without an error", async ({ page }) => {
    const noErrors = failOnConsoleErrors(page);
    await signIn(page);
    await page.locator(".app-card.env-production").first().getByRole("link").click();
    await expect(page).toHaveURL(/\/apps\/[0-9a-f]+/);
    const app = page.url();
    const pages = [app, `${app}/overview`, `${app}/users`, `${app}/roles`, `${app}/groups`, `${app}/messages`, `${app}/activity`, `${app}/settings`, "/team", "/team/activity", "/team/sessions", "/account", "/account/two-factor", "/apps"];
    for (const path of pages) {
      await page.goto(path);
      await hydrated(page);
      await expect(page.locator("h1").first()).toBeVisible();
    }
    await page.goto(`${app}/settings`);
    await hydrated(page);
    await page.getByLabel("Name").fill("Chat (production)");
    await page.getByRole("button", { name: "Rename" }).click();
    await expect(page.getByText("Renamed.")).toBeVisible();
    noErrors();
  });

  test("a page downloads the islands' module, and a lazy island's part only when the page shows it", async ({ page }) => {
    const noErrors = failOnConsoleErrors(page);
    // A lazy island's part is `split_{island}_loader_{id}.{hash}.wasm` under /pkg.
    const parts: string[] = [];
    let module = 0;
    page.on("requestfinished", (request) => {
      const path = new URL(request.url()).pathname;
      const part = path.match(/^\/pkg\/split_([a-z_]+?)_loader_\d+\./);
      if (part) parts.push(part[1]);
      if (/^\/pkg\/switchboard\.[^/]+\.wasm$/.test(path)) module += 1;
    });
    await page.goto("/sign-in");
    await hydrated(page);
    expect(parts).toEqual([]);
    expect(module).toBe(1);

    await page.getByLabel("Email").fill(owner.email);
    await page.getByLabel("Password").fill(owner.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.locator(".app-card").first()).toBeVisible();
    await page.locator(".app-card", { hasText: "Chat (dev)" }).getByRole("link").click();
    await expect(page).toHaveURL(/\/apps\/[0-9a-f]+/);
    const app = page.url().replace(/[/?]*$/, "");
    await page.goto(`${app}/users`);
    await hydrated(page);
    await expect(page.locator("h1").first()).toBeVisible();
    expect(parts, "the users page's own lazy islands only").toEqual(["metadata_editor"]);
    parts.length = 0;

    await page.getByRole("link", { name: "Playground" }).click();
    await expect(page).toHaveURL(/\/playground$/);
    await hydrated(page);
    await expect(page.getByRole("heading", { name: "Playground" })).toBeVisible();
    expect(parts).toEqual(["playground"]);
    noErrors();
  });

  test("the owner signs out, and signing in again returns to the page asked for", async ({ page }) => {
    await signIn(page);
    await hydrated(page);
    await page.getByRole("button", { name: "Sign out" }).click();
    await expect(page).toHaveURL(/\/sign-in$/);
    await page.goto("/team");
    await expect(page).toHaveURL(/\/sign-in\?next=%2Fteam$/);
    await hydrated(page);
    await page.getByLabel("Email").fill(owner.email);
    await page.getByLabel("Password").fill(owner.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/team$/);
  });
});

// The code an authenticator app shows for a base32 secret (RFC 6238:
// HMAC-SHA-1, 30-second steps, 6 digits), `ahead` steps from now: the
// test's own reckoning, apart from the server's.
function totp(secret: string, ahead = 0): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secret.replace(/=+$/, "")) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + ahead));
  const mac = createHmac("sha1", key).update(counter).digest();
  const at = mac[mac.length - 1] & 0xf;
  return String((mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

test.describe.serial("two-factor sign-in", () => {
  const dev = { email: "two.factor@example.com", password: "a long enough password" };

  test("an operator turns on two-factor, and sign-in then asks for a code", async ({ browser, page }) => {
    const noErrors = failOnConsoleErrors(page);
    await signIn(page);
    await addOperator(browser, page, { ...dev, name: "Tess Factor", role: "developer" });

    const theirs = await (await browser.newContext()).newPage();
    await theirs.goto("/sign-in");
    await hydrated(theirs);
    await theirs.getByLabel("Email").fill(dev.email);
    await theirs.getByLabel("Password").fill(dev.password);
    await theirs.getByRole("button", { name: "Sign in" }).click();
    await expect(theirs).toHaveURL(/\/apps$/);
    await theirs.goto("/account/two-factor");
    await hydrated(theirs);
    await theirs.getByRole("button", { name: "Set up an authenticator app" }).click();
    await expect(theirs.locator(".qr svg")).toBeVisible();
    const secret = (await theirs.locator(".totp-secret").textContent())!;
    await theirs.getByLabel("The 6-digit code the app shows").fill(totp(secret));
    await theirs.getByRole("button", { name: "Turn on" }).click();
    await expect(theirs.locator(".recovery-codes li")).toHaveCount(10);
    await expect(theirs.getByText("Two-factor sign-in is on.")).toBeVisible();

    await theirs.getByRole("button", { name: "Sign out" }).click();
    await expect(theirs).toHaveURL(/\/sign-in$/);
    await hydrated(theirs);
    await theirs.getByLabel("Email").fill(dev.email);
    await theirs.getByLabel("Password").fill(dev.password);
    await theirs.getByRole("button", { name: "Sign in" }).click();
    await expect(theirs).toHaveURL(/\/sign-in\/code/);
    await hydrated(theirs);
    await theirs.getByLabel(/Code from your authenticator app/).fill(totp(secret, 1));
    await theirs.getByRole("button", { name: "Sign in" }).click();
    await expect(theirs).toHaveURL(/\/apps$/);

    await page.goto("/team/sessions");
    await hydrated(page);
    await expect(page.locator(`table.sessions tr[data-email="${dev.email}"]`)).toContainText("two-factor");
    noErrors();
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the create-app form still works", async ({ page }) => {
    await page.goto("/sign-in");
    await page.getByLabel("Email").fill(owner.email);
    await page.getByLabel("Password").fill(owner.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(/\/apps$/);

    const form = page.locator("#create-app");
    await form.getByLabel("Name").fill("Made without JavaScript");
    await form.getByRole("button", { name: "Create app" }).click();
    await expect(page).toHaveURL(/\/apps\??$/);
    await expect(page.locator(".app-card", { hasText: "Made without JavaScript" })).toBeVisible();

    await form.getByLabel("Name").fill("   ");
    await form.getByRole("button", { name: "Create app" }).click();
    await expect(page.getByRole("alert")).toContainText("An app name is required.");
  });

  test("a CSV file uploads and its report is shown", async ({ page }) => {
    await page.goto("/sign-in");
    await page.getByLabel("Email").fill(owner.email);
    await page.getByLabel("Password").fill(owner.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    // The app the test above made: the demo app's users are counted later on.
    await page.locator(".app-card", { hasText: "Made without JavaScript" }).getByRole("link").click();
    await expect(page).toHaveURL(/\/apps\/[0-9a-f]+/);
    const appId = appIdIn(page.url());
    await page.goto(`/apps/${appId}/users`);

    await page.getByText("Import CSV").click();
    const file = "uid,name\nnojs_ana,Ana Without Script\nno way,Refused\n";
    await page.getByLabel("CSV file").setInputFiles({ name: "users.csv", mimeType: "text/csv", buffer: Buffer.from(file) });
    await page.getByRole("button", { name: "Import" }).click();
    await expect(page).toHaveURL(/\/users\?imported=1$/);
    await expect(page.locator(".import-report")).toContainText("1 user imported, 1 row rejected.");
    await expect(page.locator(".import-report")).toContainText("ERR_INVALID_UID");
    await page.goto(`/apps/${appId}/users?q=nojs_ana`);
    await expect(page.locator("tr[data-uid=nojs_ana]")).toBeVisible();
  });
});

test.describe.serial("support staff and a user's devices", () => {
  test("find a user, revoke one token, revoke all, deactivate", async ({ page }) => {
    const noErrors = failOnConsoleErrors(page);
    const appId = await openDevApp(page);
    const rest = await sceneOf(page, appId, "Scene setter", [["marta_k", "Marta Kowalski"], ["mario_r", "Mario Rossi"], ["zed", "Zed"]]);
    for (const platform of ["ios", "web"]) {
      expect((await page.request.post("/v3/users/marta_k/auth_tokens", { ...rest, data: { platform } })).status()).toBe(200);
    }

    await page.getByRole("link", { name: "Users" }).click();
    await hydrated(page);
    await page.getByLabel("Find a user by UID or name").fill("mar");
    await expect(page.locator("tr[data-uid]")).toHaveCount(2);
    await expect(page.locator("tr[data-uid=zed]")).toHaveCount(0);
    await page.getByLabel("Find a user by UID or name").fill("marta");
    await expect(page.locator("tr[data-uid]")).toHaveCount(1);
    await page.getByRole("link", { name: "marta_k" }).click();

    await expect(page.getByRole("heading", { name: /Marta Kowalski/ })).toBeVisible();
    const tokens = page.locator("table.tokens tbody tr");
    await expect(tokens).toHaveCount(2);
    await tokens.first().getByText("Revoke", { exact: true }).click();
    await tokens.first().getByLabel("This device is signed out at once").check();
    await tokens.first().getByRole("button", { name: "Revoke token" }).click();
    await expect(tokens).toHaveCount(1);
    await page.getByLabel("Sign this user out of every device").check();
    await page.getByRole("button", { name: "Revoke all" }).click();
    await expect(tokens).toHaveCount(0);
    await expect(page.getByText("No devices are signed in.")).toBeVisible();

    await page.getByText("Deactivate", { exact: true }).click();
    await page.getByLabel("They are signed out everywhere and cannot sign in").check();
    await page.getByRole("button", { name: "Deactivate user" }).click();
    await expect(page.getByRole("button", { name: "Reactivate" })).toBeVisible();
    const user = await (await page.request.get("/v3/users/marta_k", rest)).json();
    expect(user.data.deactivatedAt).toBeGreaterThan(0);
    noErrors();
  });

  test("create a user, bulk deactivate from the table, export the filtered list", async ({ page }) => {
    const noErrors = failOnConsoleErrors(page);
    await signIn(page);
    await page.locator(".app-card", { hasText: "Chat (dev)" }).getByRole("link").click();
    await page.getByRole("link", { name: "Users" }).click();
    await hydrated(page);

    await page.getByText("New user").click();
    const form = page.locator("form.user-form");
    await form.getByLabel("UID").fill("lena_b");
    await form.getByLabel("Name").fill("Lena Berg");
    await form.getByLabel("Tags (separated by commas)").fill("beta");
    await form.getByRole("button", { name: "Create user" }).click();
    await expect(page.getByRole("heading", { name: /Lena Berg/ })).toBeVisible();
    await expect(page).toHaveURL(/\/users\/lena_b$/);

    await page.getByRole("link", { name: "Users", exact: true }).click();
    const rows = page.locator("tr[data-uid]");
    await expect(rows).toHaveCount(3, { timeout: 10_000 });
    await expect(page.locator("tr[data-uid=marta_k]")).toHaveCount(0);
    await page.getByLabel("Tick mario_r").check();
    await page.getByLabel("Tick zed").check();
    await expect(page.locator(".bulk-bar")).toContainText("2 users ticked");
    await page.locator(".bulk-bar").getByLabel(/deactivating signs them out/).check();
    await page.locator(".bulk-bar").getByRole("button", { name: "Deactivate" }).click();
    await expect(page.locator(".bulk-bar")).toContainText("Changed 2 users.");
    await expect(rows).toHaveCount(1);
    await expect(page.locator("tr[data-uid=lena_b]")).toHaveCount(1);

    // A filter sends itself as it changes, and the page comes back with it.
    await page.getByLabel("Show").selectOption({ label: "Deactivated users" });
    await expect(page).toHaveURL(/show=deactivated/);
    await expect(rows).toHaveCount(3);
    await hydrated(page);
    const search = page.getByLabel("Find a user by UID or name");
    await search.fill("mar");
    await expect(page).toHaveURL(/q=mar/);
    await expect(rows).toHaveCount(2);
    await expect(page).toHaveURL(/show=deactivated/);
    await hydrated(page);
    await expect(search, "typing goes on in the search box the page came back with").toBeFocused();

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Export CSV" }).click(),
    ]);
    const lines = readFileSync((await download.path())!, "utf8").trim().split("\n");
    expect(lines[0]).toMatch(/^uid,name,role,tags,/);
    expect(lines.slice(1).map((line) => line.split(",")[0])).toEqual(["mario_r", "marta_k"]);

    // Straight to a user's page, server-rendered, then hydrated.
    await page.goto(page.url().replace(/\/users.*$/, "/users/lena_b"));
    await hydrated(page);
    await page.getByLabel("Add friends by UID").fill("mario_r");
    await page.getByRole("button", { name: "Add", exact: true }).click();
    const friend = page.locator(".friend-list li[data-friend=mario_r]");
    await expect(friend).toBeVisible();
    await friend.getByText("Remove", { exact: true }).click();
    await friend.getByLabel("They stop being friends, both ways").check();
    await friend.getByRole("button", { name: "Remove friend" }).click();
    await expect(friend).toHaveCount(0);
    noErrors();
  });
});

test.describe.serial("groups and their members", () => {
  test("create a password group, add three members, promote one, kick one, ban one and unban them", async ({ page }) => {
    const noErrors = failOnConsoleErrors(page);
    const appId = await openDevApp(page);
    const rest = await sceneOf(page, appId, "Group scene", [["gia", "Gia Long"], ["hal", "Hal Berg"], ["ida", "Ida Moss"]]);

    await page.getByRole("link", { name: "Groups" }).click();
    await hydrated(page);
    await page.getByText("New group").click();
    const form = page.locator("form.group-form");
    await form.getByLabel("GUID").fill("book-club");
    await form.getByLabel("Name").fill("Book club");
    await expect(form.getByLabel("Password")).toHaveCount(0);
    await form.getByLabel("Type").selectOption("password");
    await form.getByLabel("Password").fill("chapter one");
    await form.getByRole("button", { name: "Create group" }).click();
    await expect(page).toHaveURL(/\/groups\/book-club$/);
    await expect(page.getByRole("heading", { name: /Book club/ })).toBeVisible();
    // The member picker is an island of its own, downloaded with the page.
    await hydrated(page);

    for (const uid of ["gia", "hal", "ida"]) {
      await page.getByLabel("Add members: find users by UID or name").fill(uid);
      await page.locator(`.found-users button[data-uid=${uid}]`).click();
    }
    await expect(page.locator(".picked .badge")).toHaveCount(3);
    await page.getByRole("button", { name: "Add members" }).click();
    const member = (uid: string) => page.locator(`table.members tr[data-uid=${uid}]`);
    await expect(page.locator("table.members tbody tr")).toHaveCount(3);
    await expect(page.locator(".members-count")).toHaveText("3");

    await member("hal").getByLabel("New scope").selectOption("moderator");
    await member("hal").getByRole("button", { name: "Change scope" }).click();
    await expect(member("hal").locator(".badge.scope-moderator")).toBeVisible();

    await member("gia").getByText("Kick", { exact: true }).click();
    await member("gia").getByLabel("They leave the group; they may join again").check();
    await member("gia").getByRole("button", { name: "Kick member" }).click();
    await expect(member("gia")).toHaveCount(0);
    await member("ida").getByText("Ban", { exact: true }).click();
    await member("ida").getByLabel("Reason (optional)").fill("Spoilers");
    await member("ida").getByLabel("They leave the group and may not join again while banned").check();
    await member("ida").getByRole("button", { name: "Ban member" }).click();
    await expect(member("ida")).toHaveCount(0);
    await expect(page.locator("table.banned tr[data-uid=ida]")).toContainText("Spoilers");
    await expect(page.locator("table.banned tr[data-uid=ida]")).toContainText("For good");
    await expect(page.locator(".members-count")).toHaveText("1");

    // The ban holds over REST too, until it is lifted here.
    const join = (password: string) =>
      page.request.post("/v3/groups/book-club/join", { headers: { ...rest.headers, onbehalfof: "ida" }, data: { password } });
    const banned = await join("chapter one");
    expect(banned.status()).toBe(409);
    expect((await banned.json()).error.code).toBe("ERR_BANNED_GROUPMEMBER");
    await page.locator("table.banned tr[data-uid=ida]").getByRole("button", { name: "Unban" }).click();
    await expect(page.getByText("Nobody is banned.")).toBeVisible();
    expect((await join("chapter two")).status()).toBe(403);
    expect((await join("chapter one")).status()).toBe(200);

    await page.goto(`/apps/${appId}/users/hal`);
    await hydrated(page);
    await expect(page.locator("table.user-groups tr[data-guid=book-club] .badge.scope-moderator")).toBeVisible();
    noErrors();
  });
});

test.describe.serial("messages and the overview", () => {
  test("find a message by sender, open its conversation, load earlier messages, delete it", async ({ page }) => {
    const noErrors = failOnConsoleErrors(page);
    const appId = await openDevApp(page);
    const rest = await sceneOf(page, appId, "Message scene", [["kai", "Kai Lund"], ["lea", "Lea Roth"]]);
    const send = async (from: string, to: string, text: string) => {
      const data = { receiver: to, receiverType: "user", category: "message", type: "text", data: { text } };
      const res = await page.request.post("/v3/messages", { headers: { ...rest.headers, onbehalfof: from }, data });
      expect(res.status()).toBe(200);
      return (await res.json()).data.id as number;
    };
    for (let n = 0; n < 33; n++) await send(n % 2 ? "lea" : "kai", n % 2 ? "kai" : "lea", `small talk ${n}`);
    const spam = await send("kai", "lea", "cheap watches, click here");
    await send("lea", "kai", "please stop");

    await page.getByRole("link", { name: "Messages" }).click();
    await hydrated(page);
    await page.getByLabel("Sender").fill("kai");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect(page).toHaveURL(/sender=kai/);
    const rows = page.locator("table.messages tbody tr");
    await expect(rows.first()).toContainText("cheap watches");
    await expect(page.locator("table.messages")).not.toContainText("please stop");

    // The time opens the conversation; the sender and receiver lead to their pages.
    await rows.first().getByRole("link").first().click();
    await expect(page).toHaveURL(/\/conversation\?user=kai&with=lea/);
    await hydrated(page);
    const lines = page.locator(".transcript li.message");
    await expect(lines).toHaveCount(30);
    await expect(lines.last()).toContainText("please stop");
    await page.getByRole("button", { name: "Load earlier messages" }).click();
    await expect(lines).toHaveCount(35);
    await expect(lines.first()).toContainText("small talk 0");
    await expect(page.getByRole("button", { name: "Load earlier messages" })).toHaveCount(0);

    const line = page.locator(`li[data-message="${spam}"]`);
    await line.getByText("Delete", { exact: true }).click();
    await line.getByLabel("Reason").fill("spam");
    await line.getByLabel("Delete this message for everyone in its conversation").check();
    await line.getByRole("button", { name: "Delete message" }).click();
    await expect(page.locator(`li[data-message="${spam}"]`)).toContainText("deleted by the app");
    const message = await (await page.request.get(`/v3/messages/${spam}`, rest)).json();
    expect(message.data.deletedAt).toBeGreaterThan(0);
    noErrors();
  });

  test("the overview charts a month of seeded users and messages", async ({ page }) => {
    const noErrors = failOnConsoleErrors(page);
    const appId = await openDevApp(page);
    const binary = `../target/${process.env.E2E_PROFILE ?? "debug"}/switchboard`;
    execFileSync(binary, ["seed-demo", "--app", appId, "--users", "300", "--groups", "20", "--crowd", "50", "--messages", "3000"], {
      env: { ...process.env, DATABASE_URL: process.env.E2E_DATABASE_URL! },
      stdio: "pipe",
    });
    await page.goto(`/apps/${appId}/overview`);
    await hydrated(page);
    const charts = page.locator("figure.chart:not(.chart-small)");
    await expect(charts).toHaveCount(2);
    await expect(charts.nth(1)).toContainText("Messages per day");
    await expect(charts.nth(1).locator("rect.bar")).toHaveCount(30);
    const heights = await charts.nth(1).locator("rect.bar").evaluateAll((bars) => bars.map((b) => Number(b.getAttribute("height"))));
    expect(heights.filter((h) => h > 0).length).toBeGreaterThan(20);
    const messages = Number(await page.locator('[data-total="Messages"]').textContent());
    expect(messages).toBeGreaterThan(3000);
    await expect(page.locator("table.key-requests tbody tr")).not.toHaveCount(0);
    noErrors();
  });
});

test.describe.serial("the playground", () => {
  // Connects the page to the Playground as a new user `uid`.
  async function connectAs(page: Page, appId: string, uid: string, name: string) {
    await page.goto(`/apps/${appId}/playground`);
    await hydrated(page);
    await page.getByLabel("UID").fill(uid);
    await page.getByLabel("Name, to create the user").fill(name);
    await page.getByRole("button", { name: "Connect" }).click();
    await expect(page.getByTestId("playground-status")).toHaveText(`Connected as ${uid}`);
  }

  async function say(page: Page, to: string, text: string) {
    await page.getByLabel("To").fill(to);
    await page.getByLabel("Message").fill(text);
    await page.getByRole("button", { name: "Send" }).click();
  }

  test("two tabs as two users chat, see each other come and go, and the overview counts them live", async ({ browser }) => {
    const [first, second] = [await browser.newContext(), await browser.newContext()];
    const [ana, ben, overview] = [await first.newPage(), await second.newPage(), await first.newPage()];
    const checks = [ana, ben, overview].map((page) => failOnConsoleErrors(page));
    const appId = await openDevApp(ana);
    await signIn(ben);

    await connectAs(ana, appId, "pg_ana", "Ana");
    await connectAs(ben, appId, "pg_ben", "Ben");
    await expect(ana.getByTestId("playground-online")).toContainText("pg_ben");
    await expect(ben.getByTestId("playground-online")).toContainText("pg_ana");

    await overview.goto(`/apps/${appId}/overview`);
    await hydrated(overview);
    await expect(overview.locator('[data-total="Online users"]')).toHaveText("2");

    await say(ana, "pg_ben", "hello ben");
    await expect(ben.getByTestId("playground-messages")).toContainText("hello ben");
    await expect(ana.getByTestId("playground-messages")).toContainText("hello ben");
    await say(ben, "pg_ana", "hi ana");
    await expect(ana.getByTestId("playground-messages")).toContainText("hi ana");

    await ben.getByRole("button", { name: "Disconnect" }).click();
    await expect(ana.getByTestId("playground-online")).not.toContainText("pg_ben");
    // The overview follows without a reload.
    await expect(overview.locator('[data-total="Online users"]')).toHaveText("1");

    // Revoking ana's tokens closes her socket: the Playground says so and
    // offers to connect again, not to send.
    const rest = await sceneOf(overview, appId, "Playground revoker", []);
    expect((await overview.request.delete("/v3/users/pg_ana/auth_tokens", rest)).status()).toBe(200);
    await expect(ana.getByTestId("playground-status")).toContainText("Disconnected");
    await expect(ana.getByRole("button", { name: "Send" })).toBeDisabled();
    await expect(ana.getByTestId("playground-online").locator("li")).toHaveCount(0);
    await ana.getByRole("button", { name: "Connect again" }).click();
    await expect(ana.getByRole("button", { name: "Connect", exact: true })).toBeVisible();
    checks.forEach((check) => check());
  });
});

// Invites an operator on the Team page, as the owner, and accepts the
// invitation in a browser of their own, choosing their password.
async function addOperator(browser: Browser, page: Page, who: { email: string; name: string; role: string; password: string }) {
  await page.goto("/team");
  await hydrated(page);
  const add = page.locator("#add-operator");
  await add.getByLabel("Email").fill(who.email);
  await add.getByLabel("Name").fill(who.name);
  await add.getByLabel("Role").selectOption(who.role);
  await add.getByRole("button", { name: "Invite" }).click();
  await expect(page.locator(`tr[data-email="${who.email}"]`)).toBeVisible();
  await expect(add.getByLabel("Email")).toHaveValue("");
  const link = (await page.locator(".invite-link").textContent())!;
  expect(link).toMatch(/^http:\/\/[^/]+\/reset-password\?token=/);

  const context = await browser.newContext();
  const theirs = await context.newPage();
  await theirs.goto(link);
  await hydrated(theirs);
  await theirs.getByLabel(/New password/).fill(who.password);
  await theirs.getByRole("button", { name: "Set password and sign in" }).click();
  await expect(theirs).toHaveURL(/\/apps$/);
  await context.close();
}

// The server functions the page's forms post to, hash left off.
async function formActions(page: Page): Promise<string[]> {
  const actions = await page.locator("form[action^='/api/']").evaluateAll((forms) =>
    forms.map((f) => f.getAttribute("action")!.replace(/\d+$/, "")),
  );
  return [...new Set(actions)].sort();
}

test.describe.serial("roles and phones", () => {
  const viewer = { email: "vera.viewer@example.com", name: "Vera Viewer", role: "viewer", password: "a long enough password" };
  const support = { email: "sam.support@example.com", name: "Sam Support", role: "support", password: "a long enough password" };

  test("a viewer's and support staff's pages offer only what their role may do", async ({ browser, page }) => {
    // Two operators invited and signed in, then 24 pages loaded afresh, each
    // with its part of the (debug-built) bundle.
    test.setTimeout(60_000);
    const appId = await openDevApp(page);
    await addOperator(browser, page, viewer);
    await addOperator(browser, page, support);
    const pages = ["/apps", "/team", "/account", `/apps/${appId}`, `/apps/${appId}/users`, `/apps/${appId}/users/mario_r`,
      `/apps/${appId}/roles`, `/apps/${appId}/groups`, `/apps/${appId}/groups/book-club`, `/apps/${appId}/messages`,
      `/apps/${appId}/playground`, `/apps/${appId}/settings`];
    // What support staff may do: sign out, deactivate users and revoke their
    // tokens, kick, ban and unban members, delete messages.
    const supportMay = ["/api/change_members", "/api/change_users", "/api/delete_message", "/api/revoke_all_user_tokens",
      "/api/revoke_user_token", "/api/session/sign_out", "/api/end_other_sessions", "/api/end_session"];
    const own = ["/api/session/sign_out", "/api/end_other_sessions", "/api/end_session", "/api/change_password"];
    for (const [who, allowed] of [[viewer, own], [support, [...own, ...supportMay]]] as const) {
      const theirs = await (await browser.newContext()).newPage();
      const noErrors = failOnConsoleErrors(theirs);
      await theirs.goto("/sign-in");
      await hydrated(theirs);
      await theirs.getByLabel("Email").fill(who.email);
      await theirs.getByLabel("Password").fill(who.password);
      await theirs.getByRole("button", { name: "Sign in" }).click();
      await expect(theirs).toHaveURL(/\/apps$/);
      for (const path of pages) {
        await theirs.goto(path);
        await hydrated(theirs);
        const offered = (await formActions(theirs)).filter((a) => !allowed.includes(a));
        expect(offered, `${who.role} on ${path}`).toEqual([]);
      }
      await expect(theirs.getByRole("button", { name: "Create app" })).toHaveCount(0);
      noErrors();
    }
  });

  test("on a 390 px phone: sign in, find a user, revoke a token", async ({ browser }) => {
    const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })).newPage();
    const noErrors = failOnConsoleErrors(phone);
    const fitsTheScreen = async (where: string) => {
      const width = await phone.evaluate(() => document.documentElement.scrollWidth);
      expect(width, `${where} is no wider than the screen`).toBeLessThanOrEqual(390);
    };
    await phone.goto("/sign-in");
    await hydrated(phone);
    await fitsTheScreen("sign-in");
    await phone.getByLabel("Email").fill(owner.email);
    await phone.getByLabel("Password").fill(owner.password);
    await phone.getByRole("button", { name: "Sign in" }).click();
    await expect(phone).toHaveURL(/\/apps$/);
    await hydrated(phone);
    await expect(phone.getByRole("button", { name: "Sign out" })).toBeInViewport();
    await fitsTheScreen("the apps");

    await phone.locator(".app-card", { hasText: "Chat (dev)" }).getByRole("link").click();
    await expect(phone).toHaveURL(/\/apps\/[0-9a-f]+/);
    const appId = appIdIn(phone.url());
    const rest = await sceneOf(phone, appId, "Phone scene", [["pia_phone", "Pia Phone"]]);
    expect((await phone.request.post("/v3/users/pia_phone/auth_tokens", { ...rest, data: { platform: "android" } })).status()).toBe(200);
    for (const path of [`/apps/${appId}`, `/apps/${appId}/overview`, `/apps/${appId}/messages`, "/team", "/account"]) {
      await phone.goto(path);
      await hydrated(phone);
      await fitsTheScreen(path);
    }

    await phone.goto(`/apps/${appId}/users`);
    await hydrated(phone);
    await fitsTheScreen("the users");
    await phone.getByLabel("Find a user by UID or name").fill("pia");
    await expect(phone.locator("tr[data-uid]")).toHaveCount(1);
    await phone.getByRole("link", { name: "pia_phone" }).click();
    await expect(phone.getByRole("heading", { name: /Pia Phone/ })).toBeVisible();
    await fitsTheScreen("the user");
    const tokens = phone.locator("table.tokens tbody tr");
    await expect(tokens).toHaveCount(1);
    await tokens.first().getByText("Revoke", { exact: true }).click();
    await tokens.first().getByLabel("This device is signed out at once").check();
    await tokens.first().getByRole("button", { name: "Revoke token" }).click();
    await expect(tokens).toHaveCount(0);
    noErrors();
  });
});
