// Every page of the app, reached from the shell the way a person does (the side navigation,
// an asset's row, the bell), renders its heading with no page error and nothing in the
// console. On the release site (`./dev build`: lazy routes, --split) each of these loads its
// own WASM chunk on the way, so this is also the test that every chunk loads and runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, pageAs, switchTo, ARTIFACTS } from './harness.mjs';

const env = useServerAndBrowser();

/** Clicks `selector` (a link to `path`) and waits for the new page: the URL's path is `path`
 *  and a heading that was not there before the click is shown. Returns the heading. */
async function open(page, selector, path) {
  await page.$$eval('main.content h1', (hs) => hs.forEach((h) => h.setAttribute('data-before', '')));
  await page.click(selector);
  await page.waitForURL((url) => url.pathname === path);
  const heading = await page.waitForSelector('main.content h1:not([data-before])');
  const text = (await heading.textContent()).trim();
  assert.ok(text.length > 0, `${path} shows an empty heading`);
  return text;
}

test('an MSP admin opens every page from the shell; none is blank or logs an error', async () => {
  const { context, page } = await pageAs(env, 'alice@contoso.example');
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`); });
  const links = await page.$$eval('nav.sidenav a', (as) => as.map((a) => ({ text: a.textContent.trim(), href: new URL(a.href).pathname })));
  assert.ok(links.length >= 12, `the navigation lists the pages: ${JSON.stringify(links)}`);
  const assets = links.find((l) => l.text === 'Assets');
  assert.ok(assets, 'the navigation has Assets');
  const seen = [];
  // Start away from the portal, so its link is a navigation too.
  await open(page, `nav.sidenav a[href="${assets.href}"]`, assets.href);
  for (const { href } of links) {
    if (href === new URL(page.url()).pathname) continue;
    seen.push(`${href}: ${await open(page, `nav.sidenav a[href="${href}"]`, href)}`);
    await page.screenshot({ path: `${ARTIFACTS}/page${href === '/' ? '-portal' : href.replaceAll('/', '-')}.png` });
  }
  // Pages reached from inside others: an asset (the MSP itself has none: in a customer),
  // and the inbox behind the bell.
  await switchTo(page, 'acme corp', 'Acme Corp');
  const customerAssets = await page.$eval('nav.sidenav a[href$="/assets"]', (a) => new URL(a.href).pathname);
  // The switcher keeps the page a person is on, so this may already be Acme's asset list.
  if (new URL(page.url()).pathname !== customerAssets) await open(page, `nav.sidenav a[href="${customerAssets}"]`, customerAssets);
  const asset = await (await page.waitForSelector('[data-testid=assets-table] tbody tr a')).evaluate((a) => new URL(a.href).pathname);
  seen.push(`${asset}: ${await open(page, `[data-testid=assets-table] tbody tr a[href="${asset}"]`, asset)}`);
  const inbox = await page.$eval('[data-testid=bell]', (a) => new URL(a.href).pathname);
  seen.push(`${inbox}: ${await open(page, '[data-testid=bell]', inbox)}`);
  assert.deepEqual(problems, [], `pages visited: ${seen.join('; ')}`);
  assert.ok(seen.length >= links.length + 1, seen.join('; '));
  await context.close();
});
