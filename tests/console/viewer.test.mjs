// A viewer (role viewer) in a real browser: every page and every device tab
// shows the data and no control that would change anything; the admin-only
// pages are not offered. The data is made first through the API as admin.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, before, test } from "node:test";
import { launchBrowser, logIn, openPage, screenshot, startBroker } from "./harness.mjs";

let broker;
let browser;
let pk;

/** Buttons whose names say they change something. */
const changing =
  /\b(add|create|new|delete|remove|save|enable|disable|set|publish|invoke|send|import|apply|edit|update|kick|disconnect|reset|push)\b/i;

async function call(token, method, path, body) {
  const r = await fetch(broker.url + path, {
    method,
    headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}

before(async () => {
  broker = await startBroker();
  browser = await launchBrowser();
  const { token } = await (
    await fetch(broker.url + "api/v1/login", {
      method: "POST",
      body: JSON.stringify({ username: "admin", password: broker.password }),
    })
  ).json();
  pk = (await call(token, "POST", "api/v1/products", { name: "viewer_test" })).productKey;
  await call(token, "POST", `api/v1/products/${pk}/devices`, { name: "dev-1" });
  await call(token, "POST", "api/v1/rules", {
    name: "r1",
    sql: 'SELECT * FROM "viewer/#"',
    actions: [{ type: "republish", topic: "viewer-out/x" }],
  });
  await call(token, "POST", "api/v1/users", { name: "vic", role: "viewer", password: "vic-pass-1" });
  // A binary check that the CLI agrees (the same store): vic is a viewer.
  const cli = spawnSync(process.env.IOTB_BINARY ?? "build/iotbroker",
    ["admin", "user", "list", "--data-dir", broker.dataDir], { encoding: "utf8" });
  assert.match(cli.stdout, /"vic".*"viewer"/);
});

after(async () => {
  await browser?.close();
  const code = await broker?.stop();
  assert.equal(code, 0, "broker exit code\n" + broker?.log().slice(-4000));
});

async function changeButtons(page) {
  const names = await page.getByRole("button").evaluateAll((bs) =>
    bs.filter((b) => b.offsetParent !== null).map((b) => b.getAttribute("aria-label") || b.textContent.trim()),
  );
  return names.filter((n) => changing.test(n));
}

test("a viewer sees every page and no button that would change anything", async () => {
  const page = await openPage(browser, broker.url);
  await logIn(page, "vic", "vic-pass-1");
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  const nav = await page.getByRole("navigation", { name: "Main" }).textContent();
  assert.doesNotMatch(nav, /Users|Audit/);

  const visits = [
    ["#/overview", "Overview"],
    ["#/products", "Products"],
    [`#/products/${pk}`, null],
    [`#/devices?pk=${pk}`, null],
    [`#/device/${pk}/dev-1`, null],
    ["#/rules", "Rules"],
    ["#/trace", null],
    ["#/metrics", "Metrics"],
  ];
  for (const [hash, heading] of visits) {
    await page.goto(broker.url + hash);
    if (heading) await page.getByRole("heading", { name: heading, exact: true }).waitFor();
    await page.waitForLoadState("networkidle");
    await page.waitForTimeout(300);
    assert.deepEqual(await changeButtons(page), [], `change buttons on ${hash}`);
    // Each tab of the device's page too.
    if (hash.startsWith("#/device/")) {
      for (const tab of await page.getByRole("tab").all()) {
        await tab.click();
        await page.waitForTimeout(300);
        assert.deepEqual(
          await changeButtons(page),
          [],
          `change buttons on ${hash}, tab ${await tab.textContent()}`,
        );
      }
    }
    if (hash.startsWith("#/rules")) {
      await page.getByRole("link", { name: "r1" }).click();
      await page.waitForTimeout(500);
      assert.deepEqual(await changeButtons(page), [], "change buttons on the rule's page");
      await screenshot(page, "viewer-rule");
    }
  }
  await page.goto(broker.url + "#/users");
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  await screenshot(page, "viewer");
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});
