// The console in a real browser (Debian's chromium via playwright-core)
// against the real broker binary. Run by tools/test:
//   node --test tests/console/
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

test("the console is served by the binary, gzip and cached by hash", async () => {
  const r = await fetch(broker.url, { headers: { "Accept-Encoding": "gzip" } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.get("cache-control"), "no-cache");
  const html = await r.text();
  const js = html.match(/\/assets\/(app-[A-Z0-9]+\.js)/)[1];
  const a = await fetch(broker.url + "assets/" + js);
  assert.equal(a.status, 200);
  assert.equal(a.headers.get("cache-control"), "public, max-age=31536000, immutable");
  assert.match(a.headers.get("content-type"), /javascript/);
  const again = await fetch(broker.url + "assets/" + js, {
    headers: { "If-None-Match": a.headers.get("etag") },
  });
  assert.equal(again.status, 304);
  assert.equal((await fetch(broker.url + "assets/nope.js")).status, 404);
});

test("a wrong password shows the error", async () => {
  const page = await openPage(browser, broker.url);
  await logIn(page, "admin", "not-the-password");
  await page.getByRole("alert").waitFor();
  assert.match(await page.getByRole("alert").textContent(), /Wrong user name or password/);
  await screenshot(page, "login-error");
  // The 401 itself is the only error the browser logs.
  assert.deepEqual(page.consoleErrors.filter((e) => !e.includes("401")), []);
  await page.context().close();
});

test("log in with the initial password; the overview's figures and chart move", async () => {
  const page = await openPage(browser, broker.url);
  await logIn(page, "admin", broker.password);
  await page.getByRole("heading", { name: "Overview" }).waitFor();
  await page.locator(".chart canvas").waitFor();
  // Traffic: the messages-in rate must rise above zero within a few frames.
  const deadline = Date.now() + 15000;
  let seen = "0";
  while (Date.now() < deadline) {
    publish(broker.mqttPort, "console/test", "{\"t\":1}", 20);
    seen = await page.locator('[data-stat="Messages in"]').textContent();
    if (parseFloat(seen) > 0) break;
    await page.waitForTimeout(500);
  }
  assert.ok(parseFloat(seen) > 0, "messages in stayed " + seen);
  // A few more seconds of traffic: lines in the chart for the screenshot.
  for (let i = 0; i < 8; ++i) {
    publish(broker.mqttPort, "console/test", "{\"t\":1}", 10 + 5 * i);
    await page.waitForTimeout(500);
  }
  await screenshot(page, "overview");
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});
