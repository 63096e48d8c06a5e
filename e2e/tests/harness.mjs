// Starts a real Tenantry server (fresh SQLite database, demo data, a CLI-made superuser)
// and headless Debian Chromium through playwright-core.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { before, after } from 'node:test';

export const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });

export const SUPERUSER = { email: 'ops@operator.example', password: 'superuser-password-1' };
export const DEMO_PASSWORD = 'demo-password';

function freePort() {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export async function startServer() {
  const bin = process.env.E2E_BIN;
  if (!bin) throw new Error('E2E_BIN must point at the tenantry binary');
  const dir = mkdtempSync(join(tmpdir(), 'tenantry-e2e-'));
  const port = await freePort();
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite://${dir}/tenantry.db`,
    TENANTRY_ADDR: `127.0.0.1:${port}`,
    LEPTOS_SITE_ROOT: process.env.E2E_SITE_ROOT,
    RUST_LOG: 'warn',
  };
  execFileSync(bin, ['create-superuser', '--email', SUPERUSER.email, '--password-stdin'], { env, input: SUPERUSER.password + '\n' });
  execFileSync(bin, ['demo'], { env });
  const proc = spawn(bin, ['serve'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`${base}/api/openapi.json`);
      if (r.ok) break;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base, port, env, bin, stop: () => proc.kill('SIGTERM') };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/** Opens the sign-in page, waits for hydration, signs in, and waits for the app shell. */
export async function signIn(page, base, email, password) {
  await page.goto(`${base}/login`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.waitForSelector('[data-testid=current-user]');
}

/**
 * One server and one browser for a test file, started before its tests and stopped after;
 * `env.server` and `env.browser` are set once `before` ran. `setup(env)`, if given, runs in
 * the same hook once both are up: a file's own top-level `before` would not wait for this one
 * (node 20 starts a file's top-level `before` hooks without awaiting each other).
 */
export function useServerAndBrowser(setup) {
  const env = { server: undefined, browser: undefined };
  before(async () => {
    env.server = await startServer();
    env.browser = await launchBrowser();
    await setup?.(env);
  });
  after(async () => {
    await env.browser?.close();
    env.server?.stop();
  });
  return env;
}

/** A fresh 1280×800 browser context signed in as `email` (demo password). */
export async function pageAs(env, email, password = DEMO_PASSWORD) {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, env.server.base, email, password);
  return { context, page };
}

/** Waits until the context banner names exactly `name` as the org the pages act in. */
export async function waitForContext(page, name) {
  await page.waitForSelector(`[data-testid=context-org]:text-is(${JSON.stringify(name)})`);
}

/**
 * Waits until the switcher lists the answer to `query` — not a list of an earlier query that
 * is still on screen while the new one loads.
 */
export async function waitForSwitcherResults(page, query) {
  await page.waitForSelector(`[data-testid=org-results][data-query=${JSON.stringify(query)}][aria-busy=false]`);
}

/**
 * Picks an org in the header switcher and waits for the banner to name it. `name` is the
 * org's whole name: a part of it could already be in the banner ("on behalf of Contoso MSP").
 */
export async function switchTo(page, search, name) {
  await page.click('[data-testid=org-switcher]');
  await page.fill('[data-testid=org-search]', search);
  await waitForSwitcherResults(page, search);
  await page.click(`.switcher-item .name:text-is(${JSON.stringify(name)})`);
  await waitForContext(page, name);
}

/** Resolves once `ms` milliseconds have passed (for holding back a network answer). */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
