// What the console's browser tests share: a real broker on loopback ports,
// Debian's chromium driven by playwright-core (never a downloaded browser),
// a screenshot per test, and a failure on any browser console error.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, "../..");
const { chromium } = await import(join(root, "console/node_modules/playwright-core/index.mjs"));

/** Screenshots go here (tools/test prints the path; not committed). */
export const outputDir = process.env.IOTB_CONSOLE_OUT ?? join(root, "build/console-tests");
mkdirSync(outputDir, { recursive: true });

async function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Starts the broker binary (IOTB_BINARY, default build/iotbroker). */
export async function startBroker(extraArgs = []) {
  const binary = process.env.IOTB_BINARY ?? join(root, "build/iotbroker");
  const dataDir = mkdtempSync(join(tmpdir(), "iotb-console-"));
  for (let attempt = 0; ; ++attempt) {
    const mqtt = await freePort();
    let admin = await freePort();
    while (admin === mqtt) admin = await freePort();
    const args = ["--mqtt", `127.0.0.1:${mqtt}`, "--ws", "127.0.0.1:0", "--wss", "127.0.0.1:0",
      "--admin", `127.0.0.1:${admin}`, "--data-dir", dataDir, "--allow-anonymous", ...extraArgs];
    const proc = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    proc.stdout.on("data", (d) => (log += d));
    proc.stderr.on("data", (d) => (log += d));
    const ready = await new Promise((ok) => {
      const t = setInterval(() => {
        if (log.includes(" ready (io threads")) done(true);
        else if (proc.exitCode !== null) done(false);
      }, 20);
      const limit = setTimeout(() => done(false), 30000);
      function done(v) {
        clearInterval(t);
        clearTimeout(limit);
        ok(v);
      }
    });
    if (ready) {
      const password = readFileSync(join(dataDir, "initial-admin-password"), "utf8").trim();
      return {
        url: `http://127.0.0.1:${admin}/`,
        mqttPort: mqtt,
        pid: proc.pid,
        password,
        dataDir,
        log: () => log,
        async stop() {
          if (proc.exitCode !== null) return proc.exitCode;
          proc.kill("SIGTERM");
          return new Promise((ok) => proc.once("exit", (code) => ok(code)));
        },
      };
    }
    proc.kill("SIGKILL");
    if (attempt >= 2 || !log.includes("in use")) throw new Error("broker did not start:\n" + log);
  }
}

/** Debian's chromium, headless. */
export async function launchBrowser() {
  const executablePath = process.env.IOTB_CHROMIUM ?? "/usr/bin/chromium";
  if (!existsSync(executablePath))
    throw new Error(`${executablePath} is missing: tools/setup installs Debian's chromium`);
  return chromium.launch({ executablePath, headless: true, args: ["--no-sandbox"] });
}

/** A page that records every console error and uncaught exception. */
export async function openPage(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.consoleErrors = [];
  page.on("console", (m) => {
    if (m.type() === "error") page.consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => page.consoleErrors.push(String(e)));
  await page.goto(url);
  return page;
}

export async function screenshot(page, name) {
  const file = join(outputDir, name + ".png");
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Logs in through the form. */
export async function logIn(page, user, password) {
  await page.getByLabel("User").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

/** Publishes `count` QoS 0 messages with Debian's mosquitto_pub. */
export function publish(port, topic, payload, count = 1) {
  for (let i = 0; i < count; ++i) {
    const r = spawnSync("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(port), "-t", topic,
      "-m", payload, "-i", `console-test-${process.pid}-${i}`]);
    if (r.status !== 0) throw new Error("mosquitto_pub failed: " + r.stderr);
  }
}

let publishLinesCount = 0;

/**
 * Publishes each of `lines` as one message on `topic` through a single
 * `mosquitto_pub -l` (stdin, one message a line). Asynchronous, so the test
 * can keep driving the browser meanwhile; resolves when the client exits.
 */
export function publishLines(port, topic, lines, extraArgs = []) {
  return new Promise((ok, fail) => {
    const args = ["-h", "127.0.0.1", "-p", String(port), "-t", topic, "-l",
      "-i", `console-lines-${process.pid}-${++publishLinesCount}`, ...extraArgs];
    const proc = spawn("mosquitto_pub", args, { stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    proc.stderr.on("data", (d) => (err += d));
    proc.once("error", fail);
    proc.once("exit", (code) =>
      code === 0 ? ok() : fail(new Error(`mosquitto_pub -l exited ${code}: ${err}`)));
    proc.stdin.end(lines.join("\n") + "\n");
  });
}

// -- devices and the API, for the device pages' tests ---------------------------

/** What a device SDK sends in a signed CONNECT (SPEC §2.1; tests/devices.py). */
export async function deviceCredentials(pk, dn, secret, clientId = `${pk}.${dn}`) {
  const { createHmac } = await import("node:crypto");
  const content = `clientId${clientId}deviceName${dn}productKey${pk}`;
  return {
    clientId: `${clientId}|securemode=3,signmethod=hmacsha256|`,
    username: `${dn}&${pk}`,
    password: createHmac("sha256", secret).update(content).digest("hex").toUpperCase(),
  };
}

/**
 * A signed device kept connected with Debian's mosquitto_sub, subscribed to
 * `topics` (QoS 1); `output()` is what it received ("topic payload" lines).
 */
export function startDevice(port, creds, topics) {
  const args = ["-h", "127.0.0.1", "-p", String(port), "-i", creds.clientId, "-u", creds.username,
    "-P", creds.password, "-q", "1", "-v"];
  for (const t of topics) args.push("-t", t);
  const proc = spawn("mosquitto_sub", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stdout.on("data", (d) => (out += d));
  proc.stderr.on("data", (d) => (err += d));
  return {
    output: () => out,
    errors: () => err,
    async waitFor(text, ms = 10000) {
      const deadline = Date.now() + ms;
      while (!out.includes(text)) {
        if (Date.now() > deadline)
          throw new Error(`device never got ${JSON.stringify(text)}; got:\n${out}\n${err}`);
        await new Promise((ok) => setTimeout(ok, 100));
      }
    },
    stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
    },
  };
}

/** One QoS 1 PUBLISH from a signed device (mosquitto_pub: connect, publish, disconnect). */
export function devicePublish(port, creds, topic, payload) {
  const r = spawnSync("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(port), "-i", creds.clientId,
    "-u", creds.username, "-P", creds.password, "-q", "1", "-t", topic, "-m", payload]);
  if (r.status !== 0) throw new Error("mosquitto_pub failed: " + r.stderr);
}

/** The admin API with a token: `call(method, path, body)` → parsed JSON (throws on an error). */
export async function adminApi(url, user, password) {
  const login = await fetch(url + "api/v1/login", {
    method: "POST",
    body: JSON.stringify({ username: user, password }),
  });
  if (!login.ok) throw new Error("login failed: " + login.status);
  const { token } = await login.json();
  return async function call(method, path, body) {
    const r = await fetch(url + path.replace(/^\//, ""), {
      method,
      headers: { Authorization: "Bearer " + token },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
}

/**
 * Polls `check` (an async function run here, in node) until it returns
 * truthy or `ms` pass. Not page.waitForFunction: its polling may evaluate
 * a string in the page, which the console's CSP (no 'unsafe-eval')
 * refuses — the tests run under the CSP the broker sends.
 */
export async function until(check, ms = 10000, what = "condition") {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
