// The products, devices and device pages in a real browser against the real
// broker, with a simulated device (Debian's mosquitto_sub/mosquitto_pub,
// signed CONNECT). Run by tools/test:  node --test tests/console/
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  adminApi,
  deviceCredentials,
  devicePublish,
  launchBrowser,
  logIn,
  openPage,
  screenshot,
  startBroker,
  startDevice,
  until,
} from "./harness.mjs";

let broker;
let browser;
let call; // the admin API as admin
const devices = []; // mosquitto_sub processes
const state = {}; // what one test leaves to the next: pk, dn, secret, creds

const tsl = {
  schema: "https://iotx-tsl.oss-ap-southeast-1.aliyuncs.com/schema.json",
  profile: { productKey: "placeholder" },
  properties: [
    {
      identifier: "temperature",
      name: "Temperature",
      accessMode: "rw",
      required: false,
      dataType: { type: "float", specs: { min: "-40", max: "120", step: "0.1", unit: "°C" } },
    },
  ],
  events: [],
  services: [
    {
      identifier: "reboot",
      name: "Reboot",
      callType: "async",
      required: false,
      inputData: [
        { identifier: "delay", name: "Delay", dataType: { type: "int", specs: { min: "0", max: "60" } } },
      ],
      outputData: [],
      method: "thing.service.reboot",
    },
  ],
};

before(async () => {
  broker = await startBroker();
  browser = await launchBrowser();
  call = await adminApi(broker.url, "admin", broker.password);
});

after(async () => {
  for (const d of devices) d.stop();
  await browser?.close();
  const code = await broker?.stop();
  assert.equal(code, 0, "broker exit code\n" + broker?.log().slice(-4000));
});

/** Console errors other than the HTTP statuses a test provokes on purpose. */
function unexpectedErrors(page, statuses = []) {
  return page.consoleErrors.filter(
    (e) => !statuses.some((s) => e.includes("Failed to load resource") && e.includes(String(s))),
  );
}

async function loggedIn(hash = "") {
  const page = await openPage(browser, broker.url);
  await logIn(page, "admin", broker.password);
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  if (hash) await page.goto(broker.url + hash);
  return page;
}

test("products: create one (secret shown once), check and import a thing model, add a category", async () => {
  const page = await loggedIn("#/products");
  await page.getByRole("heading", { name: "Products" }).waitFor();

  // Validation before sending.
  await page.getByLabel(/^Name/).fill("ab");
  await page.getByRole("button", { name: "Create product" }).click();
  await page.getByText("A name has 4 to 30 characters.").waitFor();

  await page.getByLabel(/^Name/).fill("thermo_console");
  await page.getByRole("button", { name: "Create product" }).click();
  const secret = await page.locator('[data-secret="product"]').textContent();
  assert.match(secret, /^\w{8,}$/);
  await page.getByText("it will not be shown again").waitFor();
  const row = page.locator("table.list tr", { hasText: "thermo_console" });
  await row.waitFor();
  await screenshot(page, "products-created");

  await row.getByRole("link", { name: "thermo_console" }).click();
  await page.getByRole("heading", { name: "thermo_console" }).waitFor();
  const pk = decodeURIComponent(page.url().split("#/products/")[1]);
  assert.match(pk, /^\w{11}$/);
  state.pk = pk;
  await page.getByText("This product has no thing model yet.").waitFor();

  // A model that is not JSON is refused in the page; a bad one by the API, naming the path.
  const editor = page.getByLabel(/^TSL JSON/);
  await editor.fill("{not json");
  await page.getByRole("button", { name: "Check & save" }).click();
  await page.getByText(/^Not JSON/).waitFor();
  const bad = structuredClone(tsl);
  bad.properties[0].dataType.specs.max = "-50";
  await editor.fill(JSON.stringify(bad));
  await page.getByRole("button", { name: "Check & save" }).click();
  const alert = page.getByRole("alert");
  await alert.waitFor();
  assert.match(await alert.textContent(), /properties\[0\]\.dataType\.specs\.max/);

  // Import from a file, then check & save.
  const dir = mkdtempSync(join(tmpdir(), "iotb-tsl-"));
  const file = join(dir, "thermo-tsl.json");
  writeFileSync(file, JSON.stringify(tsl, null, 2));
  await page.getByLabel("Import from a .json file").setInputFiles(file);
  await page.getByText("Loaded thermo-tsl.json").waitFor();
  assert.match(await editor.inputValue(), /"temperature"/);
  await page.getByRole("button", { name: "Check & save" }).click();
  await page.getByText("Saved: 1 properties, 0 events, 1 services").waitFor();
  const props = page.getByRole("table", { name: "Properties" });
  await props.getByRole("cell", { name: "temperature", exact: true }).waitFor();
  assert.match(await props.textContent(), /float -40\.\.120 °C/);
  await page.getByRole("table", { name: "Services" }).getByRole("cell", { name: "reboot", exact: true }).waitFor();

  // Export downloads the stored model.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export" }).click(),
  ]);
  assert.equal(download.suggestedFilename(), `${pk}-thing-model.json`);

  // Check mode.
  await page.getByLabel(/^Check mode/).selectOption("strict");
  await until(
    async () => (await call("GET", `/api/v1/products/${pk}/thing-model/check-mode`)).checkMode ===
      "strict",
    10000,
    "check mode strict",
  );
  await page.getByLabel(/^Check mode/).selectOption("weak");

  // A topic category.
  await page.getByLabel(/^Topic suffix/).fill("data");
  await page.getByLabel(/^Permission(?! of)/).selectOption("pub,sub");
  await page.getByRole("button", { name: "Add category" }).click();
  await page.getByText(`/${pk}/\${deviceName}/user/data`).waitFor();
  const cat = await call("GET", `/api/v1/products/${pk}`);
  assert.deepEqual(cat.categories, [{ topic: `/${pk}/\${deviceName}/user/data`, perms: "pub,sub" }]);

  await screenshot(page, "product-detail");
  assert.deepEqual(unexpectedErrors(page, [400]), []);
  await page.context().close();
});

test("devices: create one (secret once), it turns online live, enable/disable, delete", async () => {
  const { pk } = state;
  const page = await loggedIn(`#/devices?pk=${pk}`);
  await page.getByRole("heading", { name: "Devices", exact: true }).waitFor();
  await page.getByText("No devices match.").waitFor();
  await page.locator(".live.up").waitFor();

  await page.getByLabel(/^Device name/).fill("x");
  await page.getByRole("button", { name: "Create", exact: true }).click();
  await page.getByText(/^4 to 32 letters/).waitFor();

  const dn = "sensor-0001";
  await page.getByLabel(/^Device name/).fill(dn);
  await page.getByRole("button", { name: "Create", exact: true }).click();
  const secret = (await page.locator('[data-secret="device"]').textContent()).trim();
  assert.match(secret, /^\w{32}$/);
  await page.getByText("will not be shown again").waitFor();
  const row = page.locator(`tr[data-device="${dn}"]`);
  await row.locator(".badge.inactive").waitFor();
  await screenshot(page, "devices-created");
  const creds = await deviceCredentials(pk, dn, secret);
  Object.assign(state, { dn, secret, creds });

  // Property posts (each a short connection: the device goes online, then offline).
  for (const t of [21.5, 22, 22.5]) {
    devicePublish(broker.mqttPort, creds, `/sys/${pk}/${dn}/thing/event/property/post`,
      JSON.stringify({ id: "1", version: "1.0", params: { temperature: t },
        method: "thing.event.property.post" }));
    await new Promise((ok) => setTimeout(ok, 50));
  }
  await row.locator(".badge.offline").waitFor({ timeout: 10000 });

  // The device stays connected; the row turns online without a reload.
  const device = startDevice(broker.mqttPort, creds, [
    `/shadow/get/${pk}/${dn}`,
    `/sys/${pk}/${dn}/thing/service/property/set`,
    `/sys/${pk}/${dn}/thing/service/reboot`,
    `/${pk}/${dn}/user/get`,
  ]);
  devices.push(device);
  state.device = device;
  await row.locator(".badge.online").waitFor({ timeout: 10000 });
  // The events also refetch the page (debounced): the store's last address shows.
  await row.getByRole("cell", { name: "127.0.0.1" }).waitFor({ timeout: 5000 });
  await screenshot(page, "devices-online");

  // A second device: disable, enable, delete (with a confirmation).
  await page.getByLabel(/^Device name/).fill("spare-0001");
  await page.getByRole("button", { name: "Create", exact: true }).click();
  const spare = page.locator('tr[data-device="spare-0001"]');
  await spare.waitFor();
  await spare.getByRole("button", { name: "Disable" }).click();
  await spare.locator(".badge.disabled").waitFor();
  assert.equal((await call("GET", `/api/v1/products/${pk}/devices/spare-0001`)).enabled, false);
  await spare.getByRole("button", { name: "Enable" }).click();
  await spare.getByRole("button", { name: "Disable" }).waitFor();
  await spare.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete device" });
  await dialog.getByText("spare-0001").waitFor();
  await dialog.getByRole("button", { name: "Delete" }).click();
  await spare.waitFor({ state: "detached" });
  assert.equal((await call("GET", `/api/v1/products/${pk}/devices`)).total, 1);

  // The product cannot be deleted while it has devices: the API's message.
  await page.getByRole("link", { name: "Product details" }).click();
  await page.getByRole("button", { name: "Delete product" }).click();
  const pd = page.getByRole("dialog", { name: "Delete product" });
  await pd.getByRole("button", { name: "Delete" }).click();
  await pd.getByRole("alert").waitFor();
  assert.match(await pd.getByRole("alert").textContent(), /device/i);
  await screenshot(page, "product-delete-refused");
  await pd.getByRole("button", { name: "Cancel" }).click();

  assert.deepEqual(unexpectedErrors(page, [400, 409]), []);
  await page.context().close();
});

test("device: info with the session, latest properties and the history chart", async () => {
  const { pk, dn } = state;
  const page = await loggedIn(`#/devices?pk=${pk}`);
  await page.getByRole("link", { name: dn, exact: true }).click();
  await page.getByRole("heading", { name: dn }).waitFor();
  assert.equal(await page.getByRole("tab", { name: "Info" }).getAttribute("aria-selected"), "true");
  const session = page.locator("[data-session]");
  await session.waitFor();
  assert.match(await session.textContent(), new RegExp(`${pk}\\.${dn}`));
  assert.match(await session.textContent(), /online/);
  await page.getByText(`${dn}&${pk}`).waitFor();
  // The signing helper computes what the simulated device sent.
  await page.getByLabel(/^Device secret/).fill(state.secret);
  await page.getByRole("button", { name: "Compute password" }).click();
  await page.getByText(state.creds.password.toLowerCase()).waitFor();
  await screenshot(page, "device-info");

  // The session's subscriptions.
  await page.getByRole("tab", { name: "Subscriptions" }).click();
  await page.getByRole("cell", { name: `/shadow/get/${pk}/${dn}` }).waitFor();

  // The device log names the connects.
  await page.getByRole("tab", { name: "Log" }).click();
  await page.locator("table.list tbody tr").first().waitFor();

  // Keyboard: arrow keys move between tabs.
  await page.getByRole("tab", { name: "Log" }).focus();
  await page.keyboard.press("ArrowRight");
  assert.equal(await page.getByRole("tab", { name: "Properties" }).getAttribute("aria-selected"), "true");

  const latest = page.locator('tr[data-property="temperature"] [data-value]');
  await latest.waitFor();
  assert.equal((await latest.textContent()).trim(), "22.5");
  await page.locator(".history-chart canvas").waitFor();
  await page.locator("[data-points]").waitFor();
  assert.ok(Number(await page.locator("[data-points]").getAttribute("data-points")) >= 3);
  await page.getByRole("button", { name: "Refresh", exact: true }).click();
  await screenshot(page, "device-properties");
  assert.deepEqual(unexpectedErrors(page), []);
  await page.context().close();
});

test("device: shadow desired state reaches the device; a stale version is a conflict", async () => {
  const { pk, dn, device } = state;
  const page = await loggedIn(`#/device/${pk}/${dn}?tab=shadow`);
  await page.getByRole("tab", { name: "Shadow", selected: true }).waitFor();
  await page.locator("[data-shadow-version]").waitFor();
  const editor = page.getByLabel(/^Desired attributes/);
  await editor.fill("{color: green}");
  await page.getByRole("button", { name: "Update desired" }).click();
  await page.getByText(/^Not JSON/).waitFor();

  await editor.fill('{"color":"green"}');
  await page.getByRole("button", { name: "Update desired" }).click();
  await page.locator('[data-control="sent"]').waitFor();
  await device.waitFor(`/shadow/get/${pk}/${dn}`);
  await device.waitFor('"color":"green"');
  assert.match(device.output(), /"method":"control"/);
  // The page reloads the document after the answer: wait for version 1.
  const version = page.locator("[data-shadow-version]");
  await until(async () => (await version.textContent())?.trim() === "1", 10000, "version 1");

  // Version 1 again: the shadow is at 1 already.
  await editor.fill('{"color":"red"}');
  await page.getByLabel(/^Version/).fill("1");
  await page.getByRole("button", { name: "Update desired" }).click();
  await page.getByText("Version conflict.").waitFor();
  await screenshot(page, "device-shadow");
  assert.deepEqual(unexpectedErrors(page, [409]), []);
  await page.context().close();
});

test("device: debug publish, property set, service invoke and RRPC reach the device", async () => {
  const { pk, dn, device } = state;
  const page = await loggedIn(`#/device/${pk}/${dn}`);
  await page.getByRole("tab", { name: "Debug" }).click();
  assert.equal(await page.getByLabel(/^Topic/).inputValue(), `/${pk}/${dn}/user/get`);
  await page.getByLabel(/^Payload/).fill("hello-device");
  await page.getByRole("button", { name: "Publish" }).click();
  await page.getByText(/^Published: message/).waitFor();
  await device.waitFor(`/${pk}/${dn}/user/get hello-device`);

  // Property set: the simulated device never answers, so the call times out.
  const set = page.getByRole("form", { name: "Set properties" });
  await set.getByLabel(/^Params/).fill("{temperature");
  await set.getByRole("button", { name: "Set" }).click();
  await set.getByText(/^Not JSON/).waitFor();
  await set.getByLabel(/^Params/).fill('{"temperature":30}');
  await set.getByLabel(/^Timeout/).fill("1000");
  await set.getByRole("button", { name: "Set" }).click();
  await set.getByRole("button", { name: "Sending…" }).waitFor();
  await page.locator(".card", { has: set }).getByRole("alert").waitFor({ timeout: 10000 });
  await device.waitFor(`/sys/${pk}/${dn}/thing/service/property/set`);
  await device.waitFor('"temperature":30');

  // The thing model's service (async: sent).
  const svc = page.getByRole("form", { name: "Invoke a service" });
  assert.equal(await svc.getByLabel(/^Service/).inputValue(), "reboot");
  await svc.getByLabel(/^Input params/).fill('{"delay":5}');
  await svc.getByRole("button", { name: "Invoke" }).click();
  const svcOut = page.locator(".card", { has: svc }).locator(".result, [role=alert]");
  await svcOut.waitFor();
  assert.match(await svcOut.textContent(), /SENT/);
  await device.waitFor(`/sys/${pk}/${dn}/thing/service/reboot`);
  await device.waitFor('"delay":5');

  // RRPC: the device is not subscribed to the request topic.
  const rrpc = page.getByRole("form", { name: "RRPC" });
  await rrpc.getByLabel(/^Request payload/).fill("ping");
  await rrpc.getByLabel(/^Timeout/).fill("1000");
  await rrpc.getByRole("button", { name: "Call" }).click();
  await page.locator("[data-result]", { hasText: /UNKNOWN|TIMEOUT/ }).waitFor({ timeout: 10000 });
  await screenshot(page, "device-debug");
  assert.deepEqual(unexpectedErrors(page, [504, 502]), []);
  await page.context().close();
});

test("devices: keyset paging forward and back through 1,200 devices, prefix search", async () => {
  const product = await call("POST", "/api/v1/products", { name: "many_devices" });
  const pk = product.productKey;
  await call("POST", `/api/v1/products/${pk}/devices`, { count: 1000 });
  await call("POST", `/api/v1/products/${pk}/devices`, { count: 200 });
  const page = await loggedIn(`#/devices?pk=${pk}`);
  const pager = page.locator("[data-pager]");
  await pager.getByText("Page 1 of 24 (1,200 in all)").waitFor();
  const names = async () =>
    page.locator("tr[data-device]").evaluateAll((rows) => rows.map((r) => r.dataset.device));
  const first = await names();
  assert.equal(first.length, 50);
  assert.deepEqual([...first].sort(), first);

  const seen = [...first];
  for (let i = 2; i <= 4; ++i) {
    await page.getByRole("button", { name: "Next" }).click();
    await pager.getByText(`Page ${i} of 24`).waitFor();
    const firstRow = page.locator("tr[data-device]").first();
    await until(async () => (await firstRow.getAttribute("data-device")) !== seen[seen.length - 50]);
    const n = await names();
    assert.equal(n.length, 50);
    assert.ok(n[0] > seen[seen.length - 1], "pages follow each other in name order");
    seen.push(...n);
  }
  const all = (await call("GET", `/api/v1/products/${pk}/devices?limit=200`)).items.map((d) => d.deviceName);
  assert.deepEqual(seen, all);
  await screenshot(page, "devices-paging");
  for (let i = 3; i >= 1; --i) {
    await page.getByRole("button", { name: "Previous" }).click();
    await pager.getByText(`Page ${i} of 24`).waitFor();
  }
  await until(async () =>
    (await page.locator("tr[data-device]").first().getAttribute("data-device")) === first[0]);
  assert.deepEqual(await names(), first);
  assert.ok(await page.getByRole("button", { name: "Previous" }).isDisabled());

  // A name prefix search.
  const prefix = all[120].slice(0, 4);
  const expected = (await call("GET", `/api/v1/products/${pk}/devices?name=${prefix}&limit=1000`)).total;
  await page.getByLabel(/^Name starts with/).fill(prefix);
  await page.getByRole("button", { name: "Search" }).click();
  await pager.getByText(`(${expected.toLocaleString("en-US")} in all)`).waitFor();
  for (const n of await names()) assert.ok(n.startsWith(prefix));
  assert.deepEqual(unexpectedErrors(page), []);
  await page.context().close();
});

test("a viewer sees no button that changes anything", async () => {
  const { pk, dn } = state;
  await call("POST", "/api/v1/users", { name: "watcher", role: "viewer", password: "viewer-pass-1" });
  const page = await openPage(browser, broker.url);
  await logIn(page, "watcher", "viewer-pass-1");
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  const changing = /Create|Delete|Disable|Enable|Check & save|Add category|Save|Update desired|Publish|Invoke|Call|Set/;

  await page.goto(broker.url + "#/products");
  await page.locator("table.list tr", { hasText: "thermo_console" }).waitFor();
  assert.equal(await page.getByRole("button", { name: changing }).count(), 0);
  await page.goto(broker.url + `#/products/${pk}`);
  await page.getByRole("table", { name: "Properties" }).waitFor();
  assert.equal(await page.getByRole("button", { name: changing }).count(), 0);
  assert.equal(await page.getByLabel(/^Check mode/).count(), 0);

  await page.goto(broker.url + `#/devices?pk=${pk}`);
  await page.locator(`tr[data-device="${dn}"]`).waitFor();
  assert.equal(await page.getByRole("button", { name: changing }).count(), 0);

  await page.goto(broker.url + `#/device/${pk}/${dn}`);
  await page.getByRole("heading", { name: dn }).waitFor();
  for (const tab of ["Info", "Properties", "Shadow", "Debug"]) {
    await page.getByRole("tab", { name: tab }).click();
    await page.waitForTimeout(300);
    assert.equal(await page.getByRole("button", { name: changing }).count(), 0, tab);
  }
  await page.getByText("only admins may do it").waitFor();
  await screenshot(page, "device-viewer");
  assert.deepEqual(unexpectedErrors(page), []);
  await page.context().close();
});
