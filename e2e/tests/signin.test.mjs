import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, signIn, waitForContext, waitForSwitcherResults, sleep, ARTIFACTS, SUPERUSER, DEMO_PASSWORD } from './harness.mjs';

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
  await waitForSwitcherResults(page, 'acme c');
  await page.screenshot({ path: `${ARTIFACTS}/switcher.png` });
  await page.keyboard.press('Enter');
  await waitForContext(page, 'Acme Corp');
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

/**
 * A page whose WASM is held back until `release()`: what a person on a slow link (or the debug
 * bundle) gets for seconds. Every URL the page requests or navigates to is kept in `urls`.
 */
async function unhydratedPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const urls = [];
  page.on('request', (r) => urls.push(`${r.method()} ${r.url()}`));
  page.on('framenavigated', (f) => urls.push(`navigated ${f.url()}`));
  let release;
  const released = new Promise((resolve) => { release = resolve; });
  await page.route('**/*.wasm', async (route) => {
    await released;
    // The page that asked may be gone by now (it navigated away).
    await route.continue().catch(() => {});
  });
  return { context, page, urls, release };
}

test('signing in before the page has hydrated posts the form: no password in any URL, and the person is signed in', async () => {
  const password = DEMO_PASSWORD;
  const { context, page, urls, release } = await unhydratedPage();
  await page.goto(`${server.base}/login`, { waitUntil: 'domcontentloaded' });
  await page.fill('#email', 'tom@contoso.example');
  await page.fill('#password', password);
  assert.equal(await page.getAttribute('body', 'data-hydrated'), null, 'the page must not be hydrated yet');
  await page.click('button[type=submit]');
  await page.waitForURL(`${server.base}/`, { waitUntil: 'domcontentloaded' });
  assert.ok(urls.includes(`POST ${server.base}/login`), `the form was posted: ${urls.join(', ')}`);
  release();
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.waitForSelector('[data-testid=current-user]:has-text("tom@contoso.example")');
  for (const url of urls) {
    assert.ok(!url.includes(password), `a URL carried the password: ${url}`);
    assert.ok(!url.includes('contoso.example'), `a URL carried the email: ${url}`);
  }
  assert.ok(!(await page.evaluate(() => window.location.href)).includes(password));
  await context.close();
});

test('a wrong password sent before hydration comes back with a clear message and no secret in the URL', async () => {
  const { context, page, urls, release } = await unhydratedPage();
  await page.goto(`${server.base}/login`, { waitUntil: 'domcontentloaded' });
  await page.fill('#email', 'tom@contoso.example');
  await page.fill('#password', 'not-the-password-42');
  await page.click('button[type=submit]');
  await page.waitForURL(`${server.base}/login?error=credentials`, { waitUntil: 'domcontentloaded' });
  // Shown by the server-rendered page, before any WASM ran.
  assert.match(await page.textContent('[data-testid=login-error]'), /don't match/);
  assert.equal(await page.getAttribute('body', 'data-hydrated'), null);
  for (const url of urls) {
    assert.ok(!url.includes('not-the-password-42'), `a URL carried the password: ${url}`);
    assert.ok(!url.includes('tom@'), `a URL carried the email: ${url}`);
  }
  // Hydrated, the page keeps the message until the next try, which signs in through the API.
  release();
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.waitForSelector('[data-testid=login-error]');
  await page.fill('#email', 'tom@contoso.example');
  await page.fill('#password', DEMO_PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(`${server.base}/`);
  await page.waitForSelector('[data-testid=current-user]:has-text("tom@contoso.example")');
  await context.close();
});

test('what was typed before hydration is still there after it, and signs in', async () => {
  const { context, page, release } = await unhydratedPage();
  await page.goto(`${server.base}/login`, { waitUntil: 'domcontentloaded' });
  await page.fill('#email', 'tom@contoso.example');
  await page.fill('#password', DEMO_PASSWORD);
  release();
  await page.waitForSelector('body[data-hydrated="true"]');
  assert.equal(await page.inputValue('#email'), 'tom@contoso.example');
  assert.equal(await page.inputValue('#password'), DEMO_PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(`${server.base}/`);
  await page.waitForSelector('[data-testid=current-user]:has-text("tom@contoso.example")');
  await context.close();
});

test('the sign-in form refuses a post from another site (login CSRF) and sets no session', async () => {
  const r = await fetch(`${server.base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
    body: new URLSearchParams({ email: 'tom@contoso.example', password: DEMO_PASSWORD }),
  });
  assert.equal(r.status, 303);
  assert.equal(r.headers.get('location'), '/login?error=origin');
  assert.equal(r.headers.get('set-cookie'), null);
});

test('every form that carries a password posts, never a GET', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const getForms = () => page.$$eval('form', (forms) => forms
    .filter((f) => f.querySelector('input[type=password]'))
    .map((f) => ({ form: f.dataset.testid || f.getAttribute('action') || '?', method: f.method })));
  await page.goto(`${server.base}/login`, { waitUntil: 'domcontentloaded' });
  assert.deepEqual(await getForms(), [{ form: 'login-form', method: 'post' }]);
  await signIn(page, server.base, 'alice@contoso.example', DEMO_PASSWORD);
  for (const [nav, form] of [['API tokens', 'create-token'], ['People', 'add-user']]) {
    await page.click(`nav >> text=${nav}`);
    await page.waitForSelector(`[data-testid=${form}]`);
    assert.deepEqual(await getForms(), [{ form, method: 'post' }]);
  }
  await context.close();
});

test('a signed-out visit lands on the sign-in page with no failed request and no console error', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`); });
  await page.goto(`${server.base}/o/acme-contoso/assets`);
  await page.waitForURL(`${server.base}/login?next=/o/acme-contoso/assets`);
  await page.waitForSelector('body[data-hydrated="true"]');
  const icon = await page.evaluate(async () => (await fetch(document.querySelector('link[rel=icon]').href)).status);
  assert.equal(icon, 200, 'the favicon is served');
  assert.deepEqual(problems, []);
  await context.close();
});

test("the sign-in page loads the signed-out pages' own module, not the portal's; signed in, the portal loads its own", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const wasm = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname.endsWith('.wasm')) wasm.push(new URL(r.url()).pathname); });
  await page.goto(`${server.base}/login?next=/o/acme-contoso/assets`);
  await page.waitForSelector('body[data-hydrated="true"]');
  assert.ok(wasm.some((p) => /^\/pkg\/signin\b/.test(p)), `the sign-in module was loaded: ${wasm}`);
  assert.ok(!wasm.some((p) => /^\/pkg\/tenantry\b/.test(p)), `the portal's module was not loaded: ${wasm}`);
  // The hydrated form signs in (through the API) and goes where ?next= says, a portal page.
  await page.fill('#email', 'alice@contoso.example');
  await page.fill('#password', DEMO_PASSWORD);
  wasm.length = 0;
  await page.click('button[type=submit]');
  await page.waitForURL(`${server.base}/o/acme-contoso/assets`);
  await page.waitForSelector('body[data-hydrated="true"]');
  assert.ok(wasm.some((p) => /^\/pkg\/tenantry\b/.test(p)), `the portal's module was loaded: ${wasm}`);
  await context.close();
});

test("the portal page, where signing in lands, loads its own module; a tile opens the tenant in the whole app, whose Portal link stays in the app", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  const wasm = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname.endsWith('.wasm')) wasm.push(new URL(r.url()).pathname); });
  await signIn(page, server.base, 'alice@contoso.example', DEMO_PASSWORD);
  await page.waitForSelector('[data-testid=tile][data-slug="acme-contoso"]');
  assert.ok(wasm.some((p) => /^\/pkg\/portal\b/.test(p)), `the portal page's module was loaded: ${wasm}`);
  assert.ok(!wasm.some((p) => /^\/pkg\/tenantry\b/.test(p)), `the whole app's module was not: ${wasm}`);
  // Hydrated: the filter narrows the tiles (the answer for what was typed).
  await page.fill('[data-testid=portal-search]', 'fabrikam');
  await page.waitForFunction(() => {
    const slugs = [...document.querySelectorAll('[data-testid=tile]')].map((t) => t.dataset.slug);
    return slugs.length > 0 && slugs.every((s) => s.startsWith('fabrikam'));
  });
  await page.fill('[data-testid=portal-search]', '');
  // A tile loads the tenant's first page, which the whole app's module runs.
  await page.click('[data-testid=tile][data-slug="acme-contoso"] .tile-main');
  await page.waitForURL(`${server.base}/o/acme-contoso/assets`);
  await waitForContext(page, 'Acme Corp');
  await page.waitForSelector('body[data-hydrated="true"]');
  assert.ok(wasm.some((p) => /^\/pkg\/tenantry\b/.test(p)), `the whole app's module was loaded: ${wasm}`);
  // In the app, "Portal" is a page of the app's own: no new document, and the tab still acts in Acme.
  await page.evaluate(() => { window.stillThisDocument = true; });
  await page.click('nav.sidenav a[href="/"]');
  await page.waitForURL(`${server.base}/`);
  await page.waitForSelector('[data-testid=tile][data-slug="acme-contoso"]');
  await waitForContext(page, 'Acme Corp');
  assert.equal(await page.evaluate(() => window.stillThisDocument), true, 'the app showed its portal page without loading a new one');
  // The navigation marks the page shown.
  await page.waitForSelector('nav.sidenav a[href="/"][aria-current=page]');
  assert.equal(await page.getAttribute('nav.sidenav a[href="/o/acme-contoso/assets"]', 'aria-current'), null);
  assert.deepEqual(problems, []);
  await context.close();
});
