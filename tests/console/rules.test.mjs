// The console's rules and live trace pages in a real browser against the
// real broker (with the built-in sink plugins of build/plugins):
//   node --test tests/console/rules.test.mjs
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  launchBrowser, logIn, openPage, publish, publishLines, root, screenshot, startBroker,
} from "./harness.mjs";

let broker;
let browser;
let token;

before(async () => {
  broker = await startBroker(["--plugin-dir", join(root, "build/plugins")]);
  browser = await launchBrowser();
  const r = await fetch(broker.url + "api/v1/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: "admin", password: broker.password }),
  });
  token = (await r.json()).token;
});

after(async () => {
  await browser?.close();
  const code = await broker?.stop();
  assert.equal(code, 0, "broker exit code\n" + broker?.log().slice(-4000));
});

async function call(method, path, body) {
  const r = await fetch(broker.url + path.replace(/^\//, ""), {
    method,
    headers: { Authorization: "Bearer " + token, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

async function ruleNamed(name) {
  const { body } = await call("GET", "/api/v1/rules");
  return body.items.find((r) => r.name === name);
}

/** A logged-in page at `hash`. */
async function pageAt(hash) {
  const page = await openPage(browser, broker.url + hash);
  await logIn(page, "admin", broker.password);
  return page;
}

/** Polls `f` until it returns a truthy value (or fails after `ms`). */
async function until(f, ms = 15000, what = "condition") {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const hotSql =
  'SELECT temperature AS t, deviceName() AS dn\nFROM "sensors/#"\nWHERE temperature > 20';

test("create a rule in the editor: highlighting, live test, actions, save", async () => {
  const page = await pageAt("#/rules");
  await page.getByRole("heading", { name: "Rules" }).waitFor();
  await page.getByRole("link", { name: "New rule" }).click();
  await page.getByRole("heading", { name: "New rule" }).waitFor();

  await page.getByLabel("Name").fill("hot");
  await page.getByLabel("SQL").fill(hotSql);
  // The highlighted layer under the textarea.
  const hl = page.locator(".sql-hl");
  assert.deepEqual(await hl.locator(".sql-keyword").allTextContents(),
    ["SELECT", "AS", "AS", "FROM", "WHERE"]);
  assert.deepEqual(await hl.locator(".sql-function").allTextContents(), ["deviceName"]);
  assert.deepEqual(await hl.locator(".sql-name").allTextContents(), ['"sensors/#"']);
  assert.deepEqual(await hl.locator(".sql-number").allTextContents(), ["20"]);
  assert.deepEqual(await hl.locator(".sql-operator").allTextContents(), [">"]);
  assert.equal(await hl.locator(".sql-line").count(), 3);

  // Validation before sending: a republish action needs a topic.
  await page.getByRole("button", { name: "Create rule" }).click();
  await page.getByText("Required: a topic template").waitFor();
  assert.equal(await ruleNamed("hot"), undefined);

  const firstAction = page.locator("fieldset.action-card").first();
  await firstAction.getByLabel("Topic", { exact: true }).fill("alerts/${t}");
  // A second action: the file sink (a plugin from GET /api/v1/plugins).
  await page.getByRole("button", { name: "Add action" }).click();
  const second = page.locator("fieldset.action-card").nth(1);
  await second.getByLabel("Type").selectOption("file");
  await second.getByLabel("Path").fill(join(broker.dataDir, "hot.jsonl"));

  // The live test: matching and not matching, nothing published.
  const panel = page.locator("form.test-panel");
  await panel.getByLabel("Topic").fill("sensors/room1");
  await panel.getByLabel("Payload").fill('{"temperature": 25.5, "humidity": 40}');
  await panel.getByRole("button", { name: "Run test" }).click();
  const result = panel.getByRole("status", { name: "Test result" });
  await result.waitFor();
  assert.equal(await result.locator("[data-matched]").getAttribute("data-matched"), "true");
  assert.deepEqual(JSON.parse(await result.locator("pre").textContent()), { t: 25.5, dn: "" });
  await panel.getByLabel("Payload").fill('{"temperature": 10}');
  await panel.getByRole("button", { name: "Run test" }).click();
  await result.locator('[data-matched="false"]').waitFor();
  assert.match(await result.textContent(), /WHERE filtered the message out/);
  await panel.getByLabel("Payload").fill('{"temperature": 25.5, "humidity": 40}');
  await panel.getByRole("button", { name: "Run test" }).click();
  await result.locator('[data-matched="true"]').waitFor();
  await screenshot(page, "rules-new");

  await page.getByRole("button", { name: "Create rule" }).click();
  await page.getByRole("heading", { name: "Rule hot" }).waitFor();
  const stored = await ruleNamed("hot");
  assert.ok(stored, "the rule was created");
  assert.equal(page.url().split("#")[1], "/rules/" + stored.id);
  assert.equal(stored.sql, hotSql);
  assert.equal(stored.enabled, true);
  assert.deepEqual(stored.actions, [
    { type: "republish", topic: "alerts/${t}", qos: 0 },
    { type: "file", path: join(broker.dataDir, "hot.jsonl") },
  ]);
  // The editor shows the stored rule.
  assert.equal(await page.getByLabel("SQL").inputValue(), hotSql);
  assert.equal(await firstAction.getByLabel("Topic", { exact: true }).inputValue(), "alerts/${t}");
  await page.locator('[aria-label="Rule counters"]').waitFor();
  await screenshot(page, "rules-created");
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

test("a bad SQL shows the API's error with its line and column, marked in the editor", async () => {
  const bad = 'SELECT temperature AS t\nFROM "sensors/#"\nWHERE temperature > upper(1, 2)';
  const api = await call("POST", "/api/v1/rules/test",
    { sql: bad, topic: "sensors/a", payload: "{}" });
  assert.equal(api.status, 400);
  const [, line, column] = api.body.message.match(/line (\d+), column (\d+)/).map(Number);
  assert.equal(line, 3);

  const page = await pageAt("#/rules/new");
  await page.getByRole("heading", { name: "New rule" }).waitFor();
  await page.getByLabel("Name").fill("broken");
  await page.getByLabel("SQL").fill(bad);
  await page.locator("fieldset.action-card").first().getByLabel("Topic", { exact: true })
    .fill("alerts/x");
  await page.getByRole("button", { name: "Create rule" }).click();
  const shown = page.locator(".sql-error-text");
  await shown.waitFor();
  assert.equal(await shown.getAttribute("data-line"), String(line));
  assert.equal(await shown.getAttribute("data-column"), String(column));
  assert.match(await shown.textContent(), new RegExp(`Line ${line}, column ${column}: `));
  // The API's own text is shown too.
  const alerts = await page.getByRole("alert").allTextContents();
  assert.ok(alerts.some((t) => t.includes(api.body.message)), alerts.join(" | "));
  // The line is marked, the character at the column too, and the caret is there.
  const marked = page.locator(".sql-hl .sql-error-line");
  assert.equal(await marked.count(), 1);
  assert.equal(await marked.getAttribute("data-line"), String(line));
  const lineText = bad.split("\n")[line - 1];
  assert.equal(await marked.locator(".sql-error-at").textContent(), lineText[column - 1]);
  const caret = await page.getByLabel("SQL")
    .evaluate((t) => [t.selectionStart, document.activeElement === t]);
  const offset = bad.split("\n").slice(0, line - 1).join("\n").length + 1 + column - 1;
  assert.deepEqual(caret, [offset, true]);
  assert.equal(await ruleNamed("broken"), undefined);
  await screenshot(page, "rules-bad-sql");

  // The live test marks it the same way; editing removes the mark.
  await page.getByLabel("SQL").fill(bad.replace("upper(1, 2)", "2"));
  assert.equal(await page.locator(".sql-hl .sql-error-line").count(), 0);
  await page.getByLabel("SQL").fill("SELECT *\nFROM \"a/#\" WHERE");
  await page.locator("form.test-panel").getByLabel("Topic").fill("a/b");
  await page.getByRole("button", { name: "Run test" }).click();
  await page.locator(".sql-hl .sql-error-line").waitFor();
  assert.equal(await page.locator(".sql-hl .sql-error-line").getAttribute("data-line"), "2");

  // Only the deliberate 400s (the save and the test) reach the console.
  const expected = "the server responded with a status of 400";
  assert.equal(page.consoleErrors.filter((e) => e.includes(expected)).length, 2);
  assert.deepEqual(page.consoleErrors.filter((e) => !e.includes(expected)), []);
  await page.context().close();
});

test("publishing matching messages moves the rule's and its actions' metrics", async () => {
  const rule = await ruleNamed("hot");
  const page = await pageAt("#/rules/" + rule.id);
  await page.getByRole("heading", { name: "Rule hot" }).waitFor();
  const counters = page.locator('[aria-label="Rule counters"]');
  await counters.waitFor();
  assert.equal(await counters.locator('[data-metric="matched"]').textContent(), "0");
  publish(broker.mqttPort, "sensors/room1", '{"temperature":30}', 5);
  publish(broker.mqttPort, "sensors/room2", '{"temperature":10}', 3);
  publish(broker.mqttPort, "other/room", '{"temperature":30}', 2);
  const num = async (loc) => Number((await loc.textContent()).replace(/[^0-9]/g, ""));
  await until(async () => (await num(counters.locator('[data-metric="matched"]'))) === 8,
    15000, "matched = 8");
  assert.equal(await num(counters.locator('[data-metric="passed"]')), 5);
  assert.equal(await num(counters.locator('[data-metric="noResult"]')), 3);
  const actions = page.locator('[aria-label="Action counters"]');
  await until(async () =>
    (await num(actions.locator('tr[data-action="1"] [data-metric="success"]'))) === 5 &&
    (await num(actions.locator('tr[data-action="2"] [data-metric="success"]'))) === 5,
  15000, "both actions succeed 5 times");
  assert.equal(await actions.locator('tr[data-action="2"] td').nth(1).textContent(), "file");
  const lines = readFileSync(join(broker.dataDir, "hot.jsonl"), "utf8").trim().split("\n");
  assert.equal(lines.length, 5);
  assert.deepEqual(JSON.parse(lines[0]), { t: 30, dn: "" });
  // The rate chart is drawn.
  await page.locator(".rule-metrics .chart canvas").waitFor();
  await screenshot(page, "rules-metrics");
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

test("the list: enable/disable toggles and delete with a confirmation", async () => {
  const other = await call("POST", "/api/v1/rules", {
    name: "spare", sql: 'SELECT * FROM "spare/#"', actions: [],
  });
  assert.equal(other.status, 201);
  const page = await pageAt("#/rules");
  const row = page.locator('tr[data-rule="hot"]');
  await row.waitFor();
  assert.match(await row.textContent(), /running/);
  assert.match(await row.locator(".rule-sql").textContent(), /SELECT temperature AS t/);
  assert.equal(await row.locator('[data-metric="matched"]').textContent(), "8");
  const toggle = page.getByRole("switch", { name: "Enabled: hot" });
  assert.equal(await toggle.isChecked(), true);
  await toggle.click();
  await row.getByText("disabled", { exact: true }).waitFor();
  assert.equal(await toggle.isChecked(), false);
  assert.equal((await ruleNamed("hot")).enabled, false);
  // Disabled: traffic no longer counts.
  const matched = (await ruleNamed("hot")).metrics?.matched ?? 0;
  publish(broker.mqttPort, "sensors/room1", '{"temperature":30}', 2);
  await new Promise((r) => setTimeout(r, 500));
  assert.ok(((await ruleNamed("hot")).metrics?.matched ?? 0) <= matched);
  await screenshot(page, "rules-list");

  // Delete: cancel keeps it, confirm removes it.
  await page.getByRole("button", { name: "Delete spare" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete rule" });
  await dialog.waitFor();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await dialog.waitFor({ state: "detached" });
  assert.ok(await ruleNamed("spare"));
  await page.getByRole("button", { name: "Delete spare" }).click();
  await dialog.getByRole("button", { name: "Delete" }).click();
  await page.locator('tr[data-rule="spare"]').waitFor({ state: "detached" });
  assert.equal(await ruleNamed("spare"), undefined);

  // Enable again from the list.
  await toggle.click();
  await row.getByText("running", { exact: true }).waitFor();
  assert.equal((await ruleNamed("hot")).enabled, true);
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

test("editing an existing rule saves with PATCH", async () => {
  const rule = await ruleNamed("hot");
  const page = await pageAt("#/rules/" + rule.id);
  await page.getByRole("heading", { name: "Rule hot" }).waitFor();
  await page.getByLabel("SQL").fill(hotSql.replace("> 20", "> 22"));
  await page.getByRole("button", { name: "Add error action" }).click();
  const ea = page.locator("fieldset.action-card").nth(2);
  await ea.getByLabel("Type").selectOption("file");
  await ea.getByLabel("Path").fill(join(broker.dataDir, "errors.jsonl"));
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText(/^Saved at /).waitFor();
  const stored = await ruleNamed("hot");
  assert.match(stored.sql, /> 22$/);
  assert.deepEqual(stored.errorAction,
    { type: "file", path: join(broker.dataDir, "errors.jsonl") });
  // Removing the error action clears it (errorAction: null).
  await ea.getByRole("button", { name: "Remove" }).click();
  await page.getByRole("button", { name: "Save" }).click();
  await until(async () => !(await ruleNamed("hot")).errorAction, 5000, "error action removed");
  await screenshot(page, "rules-edit");
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

/** The trace table's drawn rows: [topic, payload] newest first. */
async function traceRows(page) {
  return page.locator(".trace-table tbody tr.row").evaluateAll((trs) =>
    trs.map((tr) => [tr.children[3].textContent, tr.children[6].textContent]));
}

async function startTrace(page, filter) {
  await page.getByLabel("Topic filter").fill(filter);
  await page.getByRole("button", { name: "Start" }).click();
  await page.getByText("Tracing", { exact: false }).waitFor();
}

/** Publishes distinct messages until the first shows up (the subscription is live). */
async function primeTrace(page, topic) {
  for (let i = 0; i < 50; ++i) {
    publish(broker.mqttPort, topic, "prime-" + i);
    await page.waitForTimeout(300);
    if ((await traceRows(page)).some(([t]) => t === topic)) return;
  }
  throw new Error("the trace never showed " + topic);
}

test("the live trace: text and hex payloads, pause, clear", async () => {
  const page = await pageAt("#/trace");
  await page.getByRole("heading", { name: "Live trace" }).waitFor();
  await page.getByText("connected", { exact: true }).waitFor();
  await startTrace(page, "trace/#");
  await primeTrace(page, "trace/prime");
  await page.getByRole("button", { name: "Clear" }).click();
  assert.deepEqual(await traceRows(page), []);

  publish(broker.mqttPort, "trace/a", "hello one");
  publish(broker.mqttPort, "trace/b", '{"x":2}');
  publish(broker.mqttPort, "elsewhere/c", "not traced");
  await until(async () => (await traceRows(page)).length === 2, 5000, "two rows");
  assert.deepEqual(await traceRows(page), [["trace/b", '{"x":2}'], ["trace/a", "hello one"]]);
  const first = page.locator(".trace-table tbody tr.row").first();
  assert.match(await first.locator("td").nth(0).textContent(), /^\d\d:\d\d:\d\d\.\d\d\d$/);
  assert.equal(await first.locator("td").nth(1).textContent(), "in");
  assert.match(await first.locator("td").nth(2).textContent(), /^console-test-/);
  assert.equal(await first.locator("td").nth(4).textContent(), "0");

  // Hex: the payload mode re-subscribes at once.
  await page.getByLabel("Payload").selectOption("hex");
  await until(async () => {
    publish(broker.mqttPort, "trace/hex", "hi!");
    await page.waitForTimeout(300);
    return (await traceRows(page)).some(([t, p]) => t === "trace/hex" && p === "68 69 21");
  }, 10000, "a hex row");
  await screenshot(page, "trace-hex");

  // Pause: rows stay, arrivals are counted.
  const before = (await traceRows(page)).length;
  await page.getByRole("button", { name: "Pause" }).click();
  publish(broker.mqttPort, "trace/paused", "p", 3);
  await until(async () =>
    (await page.locator('[data-count="paused"]').textContent()) === "3", 5000, "3 while paused");
  assert.equal((await traceRows(page)).length, before);
  await screenshot(page, "trace-paused");
  await page.getByRole("button", { name: "Resume" }).click();
  publish(broker.mqttPort, "trace/after", "back");
  await until(async () => (await traceRows(page))[0]?.[0] === "trace/after", 5000,
    "a row after resume");

  // Clear empties the table; Stop ends the subscription.
  await page.getByRole("button", { name: "Clear" }).click();
  assert.deepEqual(await traceRows(page), []);
  await page.getByRole("button", { name: "Stop" }).click();
  await page.getByText("Stopped", { exact: false }).waitFor();
  publish(broker.mqttPort, "trace/stopped", "x");
  await page.waitForTimeout(800);
  assert.deepEqual(await traceRows(page), []);

  // A device filter and a client filter are sent as given.
  await page.getByLabel("Client ID").fill("nobody");
  await page.getByLabel("Payload").selectOption("text");
  await startTrace(page, "trace/#");
  publish(broker.mqttPort, "trace/filtered", "x", 2);
  await page.waitForTimeout(800);
  assert.deepEqual(await traceRows(page), []);
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});

test("a burst of 20,000 messages keeps the trace page responsive and its rows capped", async () => {
  const page = await pageAt("#/trace");
  await page.getByText("connected", { exact: true }).waitFor();
  await startTrace(page, "burst/#");
  await primeTrace(page, "burst/prime");
  // The main thread's longest task during the burst (Long Tasks API).
  await page.evaluate(() => {
    window.__longest = 0;
    window.__longTasks = 0;
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) {
        window.__longest = Math.max(window.__longest, e.duration);
        ++window.__longTasks;
      }
    }).observe({ type: "longtask" });
  });
  const n = 20000;
  const lines = Array.from({ length: n }, (_, i) => `{"seq":${i},"pad":"${"x".repeat(40)}"}`);
  const started = Date.now();
  let done = false;
  const burst = publishLines(broker.mqttPort, "burst/load", lines).then(() => (done = true));
  let worst = 0;
  let probes = 0;
  while (!done || Date.now() - started < 3000) {
    const t0 = Date.now();
    await page.evaluate(() => document.querySelectorAll(".trace-table tbody tr.row").length);
    worst = Math.max(worst, Date.now() - t0);
    ++probes;
    await new Promise((r) => setTimeout(r, 50));
  }
  await burst;
  const elapsed = Date.now() - started;
  // Everything that arrived or was dropped is accounted for.
  const count = async (k) =>
    Number((await page.locator(`[data-count="${k}"]`).textContent()).replace(/[^0-9]/g, ""));
  await until(async () => (await count("received")) + (await count("dropped")) >= n, 15000,
    "received + dropped to reach " + n);
  const rows = await count("kept");
  const drawn = await page.locator(".trace-table tbody tr.row").count();
  const received = await count("received");
  const dropped = await count("dropped");
  const skipped = await count("skipped");
  const [longest, longTasks] = await page.evaluate(() => [window.__longest, window.__longTasks]);
  await screenshot(page, "trace-burst");
  console.log(`burst: ${n} in ${elapsed} ms; worst round trip ${worst} ms over ${probes} probes; ` +
    `received ${received}, dropped by the server ${dropped}, skipped ${skipped}, ` +
    `rows ${rows} (${drawn} drawn); ` +
    `${longTasks} long tasks, the longest ${Math.round(longest)} ms`);
  assert.ok(worst < 1000, `the page stalled for ${worst} ms`);
  assert.ok(longest < 1000, `a main-thread task took ${longest} ms`);
  assert.equal(rows, 500);
  assert.ok(drawn > 10 && drawn < 100, drawn + " rows drawn");
  assert.ok((await traceRows(page)).every(([t]) => t === "burst/load"));
  // Newest first (the server may have dropped any of them, the last ones too).
  const seqs = (await traceRows(page)).map(([, p]) => JSON.parse(p).seq);
  assert.ok(seqs.every((v, i) => i === 0 || v < seqs[i - 1]), "newest first: " + seqs.join(","));
  // Scrolling to the end draws the oldest kept rows.
  await page.locator(".trace-scroll").evaluate((b) => (b.scrollTop = b.scrollHeight));
  await until(async () => (await page.locator(".trace-table tbody tr.row").last()
    .getAttribute("aria-rowindex")) === "501", 5000, "the last row drawn");
  assert.deepEqual(page.consoleErrors, []);
  await page.context().close();
});
