import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, signIn, ARTIFACTS, SUPERUSER, DEMO_PASSWORD } from './harness.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  server?.stop();
});

test('a wrong password shows a clear error and no session', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${server.base}/login`);
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.fill('#email', SUPERUSER.email);
  await page.fill('#password', 'not-the-password');
  await page.click('button[type=submit]');
  const error = await page.waitForSelector('[data-testid=login-error]');
  assert.match(await error.textContent(), /don't match/);
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.screenshot({ path: `${ARTIFACTS}/login-error.png` });
  await page.close();
});

test('the CLI-made superuser signs in through the real page and sees the app shell', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, server.base, SUPERUSER.email, SUPERUSER.password);
  assert.match(await page.textContent('[data-testid=current-user]'), /ops@operator\.example/);
  await page.waitForSelector('[data-testid=context-banner]');
  // The superuser sees every tenant, including the demo's.
  await page.waitForSelector('[data-testid=tile][data-slug="acme-contoso"]');
  await page.screenshot({ path: `${ARTIFACTS}/portal-superuser.png` });
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'tenantry_session');
  assert.ok(session.httpOnly, 'session cookie is HttpOnly');
  assert.equal(session.domain, '127.0.0.1', 'host-only');
  await context.close();
});

test('an MSP admin switches into a customer and the page says so', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, server.base, 'alice@contoso.example', DEMO_PASSWORD);
  await page.click('[data-testid=org-switcher]');
  await page.fill('[data-testid=org-search]', 'acme c');
  await page.waitForSelector('.switcher-item:has-text("Acme Corp")');
  await page.screenshot({ path: `${ARTIFACTS}/switcher.png` });
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=context-banner]:has-text("Acme Corp")');
  const banner = await page.textContent('[data-testid=context-banner]');
  assert.match(banner, /Acting in Acme Corp/);
  assert.match(banner, /on behalf of Contoso MSP/);
  await context.close();
});

test('sign-out ends the session', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, server.base, 'tom@contoso.example', DEMO_PASSWORD);
  await page.click('[data-testid=sign-out]');
  await page.waitForURL(`${server.base}/login`);
  const me = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
  assert.equal(me, 401);
  await context.close();
});
