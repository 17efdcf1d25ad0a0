// The console's admin pages in a real browser against the real binary:
// users (add, set a password, delete, the API's refusals shown), the audit
// log, and the metrics charts. Run by tools/test: node --test tests/console/
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, logIn, openPage, publish, screenshot, startBroker } from "./harness.mjs";

let broker;
let browser;

before(async () => {
  broker = await startBroker();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  const code = await broker?.stop();
  assert.equal(code, 0, "broker exit code\n" + broker?.log().slice(-4000));
});

async function adminPage(hash) {
  const page = await openPage(browser, broker.url);
  await logIn(page, "admin", broker.password);
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  await page.goto(broker.url + hash);
  return page;
}

test("users: add a viewer, refusals shown, set its password, delete it", async () => {
  const page = await adminPage("#/users");
  await page.getByRole("heading", { name: "Users" }).waitFor();
  await page.getByRole("cell", { name: "admin (you)" }).waitFor();

  // Validation before sending: nothing reaches the API.
  await page.getByRole("button", { name: "Add user" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("Name").fill("bad name!");
  await dialog.getByLabel("Password", { exact: true }).fill("short");
  await dialog.getByRole("button", { name: "Add user" }).click();
  await dialog.getByText("1–64 letters").waitFor();
  await dialog.getByText("At least 8 characters.").waitFor();

  await dialog.getByLabel("Name").fill("vera");
  await dialog.getByLabel("Role").selectOption("viewer");
  await dialog.getByLabel("Password", { exact: true }).fill("vera-pass-1");
  await dialog.getByLabel("Repeat the password").fill("vera-pass-1");
  await dialog.getByRole("button", { name: "Add user" }).click();
  await page.getByRole("cell", { name: "vera", exact: true }).waitFor();
  assert.equal(await dialog.count(), 0);

  // The API's refusal (409: the name is taken) is shown as it says it.
  await page.getByRole("button", { name: "Add user" }).click();
  await dialog.getByLabel("Name").fill("vera");
  await dialog.getByLabel("Password", { exact: true }).fill("vera-pass-1");
  await dialog.getByLabel("Repeat the password").fill("vera-pass-1");
  await dialog.getByRole("button", { name: "Add user" }).click();
  await dialog.getByRole("alert").waitFor();
  assert.match(await dialog.getByRole("alert").textContent(), /vera/);
  await dialog.getByRole("button", { name: "Cancel" }).click();

  await page.getByRole("button", { name: "Set the password of vera" }).click();
  await dialog.getByLabel("New password").fill("vera-pass-2");
  await dialog.getByLabel("Repeat the password").fill("vera-pass-2");
  await dialog.getByRole("button", { name: "Set password" }).click();
  await dialog.getByText("Password changed").waitFor();
  await dialog.getByRole("button", { name: "Close" }).click();
  const login = await fetch(broker.url + "api/v1/login", {
    method: "POST",
    body: JSON.stringify({ username: "vera", password: "vera-pass-2" }),
  });
  assert.equal(login.status, 200);

  // The last admin cannot be deleted: the 409's message is shown.
  await page.getByRole("button", { name: "Delete admin" }).click();
  await dialog.getByRole("button", { name: "Delete user" }).click();
  await dialog.getByRole("alert").waitFor();
  assert.match(await dialog.getByRole("alert").textContent(), /last admin/);
  await dialog.getByRole("button", { name: "Cancel" }).click();

  await page.getByRole("button", { name: "Delete vera" }).click();
  await dialog.getByRole("button", { name: "Delete user" }).click();
  await page.getByRole("cell", { name: "vera", exact: true }).waitFor({ state: "detached" });
  await screenshot(page, "users");
  // The refusals above are the only errors the browser logs (409s).
  assert.deepEqual(page.consoleErrors.filter((e) => !e.includes("409")), []);
  await page.context().close();
});

test("the audit log lists the changes, newest first", async () => {
  const page = await adminPage("#/audit");
  await page.getByRole("heading", { name: "Audit log" }).waitFor();
  await page.getByRole("cell", { name: "POST /api/v1/users" }).first().waitFor();
  const first = await page.locator("table tbody tr").first().textContent();
  assert.match(first, /DELETE \/api\/v1\/users\/vera/);
  await screenshot(page, "audit");
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

test("metrics: the charts draw and the messages figures move", async () => {
  const page = await adminPage("#/metrics");
  await page.getByRole("heading", { name: "Metrics" }).waitFor();
  assert.equal(await page.locator(".chart-grid canvas").count() >= 8, true);
  await page.getByLabel("Filter by name").fill("messages_received");
  const cell = page.getByRole("cell", { name: "iotbroker_messages_received_total", exact: true });
  await cell.waitFor();
  const before = Number(
    (await cell.locator("xpath=following-sibling::td").textContent()).replace(/\D/g, ""),
  );
  publish(broker.mqttPort, "metrics/test", "x", 10);
  const deadline = Date.now() + 10000;
  let now = before;
  while (Date.now() < deadline && now < before + 10) {
    await page.waitForTimeout(300);
    now = Number(
      (await cell.locator("xpath=following-sibling::td").textContent()).replace(/\D/g, ""),
    );
  }
  assert.ok(now >= before + 10, `messages received ${before} → ${now}`);
  await page.getByLabel("Filter by name").fill("");
  await screenshot(page, "metrics");
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

test("a narrow window: every page fits its width (tables scroll inside)", async () => {
  const page = await adminPage("#/overview");
  await page.setViewportSize({ width: 400, height: 800 });
  for (const hash of ["#/overview", "#/products", "#/devices", "#/rules", "#/trace", "#/metrics",
    "#/audit", "#/users"]) {
    await page.goto(broker.url + hash);
    await page.waitForLoadState("networkidle");
    await page.waitForTimeout(300);
    const [scroll, width] = await page.evaluate(() => [
      document.documentElement.scrollWidth,
      document.documentElement.clientWidth,
    ]);
    assert.ok(scroll <= width + 1, `${hash}: the page is ${scroll} px wide in a ${width} px window`);
  }
  await page.goto(broker.url + "#/rules/new");
  await page.waitForTimeout(300);
  await screenshot(page, "narrow-rule-editor");
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});
