// Every page the app offers, as each kind of person, on a desktop and on a phone: axe-core
// finds no serious or critical accessibility violation, and the browser console stays free of
// errors and warnings (failed requests, panics, Leptos warnings).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { useServerAndBrowser, signIn, waitForContext, switchTo, ARTIFACTS, DEMO_PASSWORD } from './harness.mjs';

const env = useServerAndBrowser();
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
};

/** The group-limited viewer made in `before`: sees only Acme's "Front desk PCs". */
const VIEWER = { email: 'vera@acme.example', password: 'viewer-password-1' };

/** Calls the API as `email` with a fresh personal access token. */
async function apiAs(base, email, password) {
  const r = await fetch(`${base}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, name: 'console test' }),
  });
  const created = await r.text();
  assert.equal(r.status, 201, created);
  const { token } = JSON.parse(created);
  return async (method, path, body) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

// Made once, by the first test that needs it (after the server is up).
let viewerMade;
const ensureViewer = () => (viewerMade ??= makeViewer());
async function makeViewer() {
  // Carol (Acme's admin) adds a viewer limited to the front-desk group.
  const carol = await apiAs(env.server.base, 'carol@acme.example', DEMO_PASSWORD);
  const groups = await carol('GET', '/api/v1/groups');
  const frontDesk = groups.items.find((g) => g.name === 'Front desk PCs');
  assert.ok(frontDesk, 'the demo has a "Front desk PCs" group in Acme');
  await carol('POST', '/api/v1/users', {
    email: VIEWER.email, name: 'Vera Viewer', role: 'viewer', password: VIEWER.password, group_ids: [frontDesk.id],
  });
}

/**
 * Signs in with console and page errors recorded from the first request on; `problems` lists
 * every console error or warning and every uncaught exception, with the page it happened on.
 */
async function watchedPage(email, password, viewport) {
  // axe-core is injected as an inline script, which the app's CSP (rightly) refuses.
  const context = await env.browser.newContext({ viewport, bypassCSP: true });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${page.url()} console.${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${page.url()} uncaught: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${page.url()} ${r.request().method()} ${new URL(r.url()).pathname} answered ${r.status()}`);
  });
  await signIn(page, env.server.base, email, password);
  return { context, page, problems };
}

/** Waits until the page shows what it loaded: no request in flight and no "Loading…" left. */
async function settled(page) {
  await page.waitForSelector('body[data-hydrated="true"]');
  await page.waitForLoadState('networkidle');
  await page.waitForFunction(() => !/Loading/.test(document.querySelector('main')?.innerText ?? ''));
}

/** Serious and critical axe-core violations on the page as it is now, one line each. */
async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ content: AXE });
  const result = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
  return result.map((line) => `${page.url()} ${line}`);
}

/** The paths the navigation offers, plus the first asset's own page when there is one. */
async function pagesOffered(page) {
  const paths = await page.$$eval('nav.sidenav a[href]', (links) => links.map((a) => a.getAttribute('href')));
  await page.goto(`${env.server.base}/assets`);
  await settled(page);
  const asset = await page.$$eval('[data-testid=assets-table] a[href^="/assets/"]', (links) => links[0]?.getAttribute('href'));
  return asset ? [...paths, asset] : paths;
}

/** Visits every offered page; returns accessibility violations and console problems. */
async function sweep(page, problems, label) {
  const found = [];
  for (const path of await pagesOffered(page)) {
    await page.goto(`${env.server.base}${path}`);
    await settled(page);
    found.push(...(await axeViolations(page)));
    if (path === '/' || path === '/assets' || path === '/people' || path === '/overview') {
      await page.screenshot({ path: `${ARTIFACTS}/console-${label}${path.replaceAll('/', '-') || '-portal'}.png`, fullPage: true });
    }
  }
  return [...found, ...problems.splice(0)];
}

const PEOPLE = [
  // who, password, context after sign-in, and orgs to switch into afterwards
  { who: 'MSP admin', email: 'alice@contoso.example', home: 'Contoso MSP', into: [['acme', 'Acme Corp']] },
  { who: 'technician', email: 'tom@contoso.example', home: 'Contoso MSP', into: [['acme', 'Acme Corp']] },
  { who: 'customer admin', email: 'carol@acme.example', home: 'Acme Corp', into: [] },
  { who: 'group-limited viewer', email: VIEWER.email, password: VIEWER.password, home: 'Acme Corp', into: [] },
];

for (const [size, viewport] of Object.entries(VIEWPORTS)) {
  for (const p of PEOPLE) {
    test(`${p.who} on a ${size}: every page has no serious accessibility violation and a clean console`, async () => {
      await ensureViewer();
      const { context, page, problems } = await watchedPage(p.email, p.password ?? DEMO_PASSWORD, viewport);
      const label = `${size}-${p.who.replaceAll(' ', '-')}`;
      await waitForContext(page, p.home);
      const found = await sweep(page, problems, label);
      for (const [search, name] of p.into) {
        await page.goto(`${env.server.base}/`);
        await settled(page);
        await switchTo(page, search, name);
        found.push(...(await sweep(page, problems, `${label}-in-${search}`)));
        // MSP-only pages opened while acting in a customer explain themselves, quietly.
        await page.goto(`${env.server.base}/overview`);
        await settled(page);
        found.push(...(await axeViolations(page)), ...problems.splice(0));
      }
      await context.close();
      assert.deepEqual(found, [], `\n${found.join('\n')}`);
    });
  }
}

test('the sign-in and accept pages have no serious accessibility violation and a clean console', async () => {
  for (const viewport of Object.values(VIEWPORTS)) {
    const context = await env.browser.newContext({ viewport, bypassCSP: true });
    const page = await context.newPage();
    const problems = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${page.url()} console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${page.url()} uncaught: ${e.message}`));
    const found = [];
    for (const path of ['/login', '/accept?token=not-a-real-token']) {
      await page.goto(`${env.server.base}${path}`);
      await page.waitForSelector('body[data-hydrated="true"]');
      await page.waitForLoadState('networkidle');
      found.push(...(await axeViolations(page)));
    }
    // A made-up invitation token is answered 404 on purpose (the page says the link is no longer valid).
    problems.splice(0);
    // Opening the app signed out goes to the sign-in page without a failed request.
    await page.goto(`${env.server.base}/`);
    await page.waitForURL(`${env.server.base}/login`);
    await page.waitForSelector('body[data-hydrated="true"]');
    await page.waitForLoadState('networkidle');
    found.push(...problems);
    await context.close();
    assert.deepEqual(found, [], `\n${found.join('\n')}`);
  }
});
