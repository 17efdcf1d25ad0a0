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
