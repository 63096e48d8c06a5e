// The org is in the address: a link to a customer's page opens that customer for whoever may
// see it, back/forward and several tabs each keep their org, and on a tenant's own host the
// pages can't drift into another tenant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, pageAs, switchTo, waitForContext, DEMO_PASSWORD, ARTIFACTS } from './harness.mjs';

const env = useServerAndBrowser();
const viewport = { width: 1280, height: 800 };

/** The external ids of the assets the assets page lists now. */
async function assetIds(page) {
  await page.waitForSelector('[data-testid=assets-table] tbody tr');
  return page.$$eval('[data-testid=assets-table] tbody tr', (rows) => rows.map((r) => r.dataset.externalId).sort());
}

test('a deep link opens the right org in a new browser, through the sign-in page', async () => {
  const { context, page } = await pageAs(env, 'alice@contoso.example');
  await switchTo(page, 'acme', 'Acme Corp');
  await page.click('nav >> text=Assets');
  await page.waitForURL(/\/o\/acme-contoso\/assets$/);
  const link = page.url();
  const acmeAssets = await assetIds(page);

  // Back and forward return to the org each page showed.
  await switchTo(page, 'tailspin', 'Tailspin Toys');
  await page.waitForURL(/\/o\/tailspin-contoso\/assets$/);
  const tailspinAssets = await assetIds(page);
  assert.notDeepEqual(tailspinAssets, acmeAssets);
  await page.goBack();
  await waitForContext(page, 'Acme Corp');
  await page.waitForSelector(`[data-testid=assets-table] tr[data-external-id="${acmeAssets[0]}"]`);
  await page.goForward();
  await waitForContext(page, 'Tailspin Toys');
  await context.close();

  // A browser that never saw the app: sign in, and the link's page is there, in Acme.
  const fresh = await env.browser.newContext({ viewport });
  const other = await fresh.newPage();
  await other.goto(link);
  await other.waitForURL(/\/login\?next=\/o\/acme-contoso\/assets$/);
  await other.waitForSelector('body[data-hydrated="true"]');
  await other.fill('#email', 'alice@contoso.example');
  await other.fill('#password', DEMO_PASSWORD);
  await other.click('button[type=submit]');
  await other.waitForURL(link);
  await waitForContext(other, 'Acme Corp');
  assert.deepEqual(await assetIds(other), acmeAssets);
  await fresh.close();

  // Someone who may not see Acme gets the not-found page, as for an org that doesn't exist.
  const { context: c2, page: tailspinAdmin } = await pageAs(env, 'liam@tailspin.example');
  await tailspinAdmin.goto(link);
  await tailspinAdmin.waitForSelector('text=Not found');
  await tailspinAdmin.goto(`${env.server.base}/o/no-such-org/assets`);
  await tailspinAdmin.waitForSelector('text=Not found');
  await c2.close();
});

test('two tabs work in two customers and each keeps its own, also after a reload', async () => {
  const { context, page: first } = await pageAs(env, 'alice@contoso.example');
  const second = await context.newPage();
  await first.goto(`${env.server.base}/o/acme-contoso/people`);
  await second.goto(`${env.server.base}/o/fabrikam-contoso/people`);
  await waitForContext(first, 'Acme Corp');
  await waitForContext(second, 'Fabrikam');
  await first.waitForSelector('tr[data-email="carol@acme.example"]');
  await second.waitForSelector('tr[data-email="frank@fabrikam.example"]');
  // Switching in one tab leaves the other where it was.
  await switchTo(second, 'northwind', 'Northwind Traders');
  await second.waitForURL(/\/o\/northwind-contoso\/people$/);
  await first.reload();
  await waitForContext(first, 'Acme Corp');
  await first.waitForSelector('tr[data-email="carol@acme.example"]');
  await second.reload();
  await waitForContext(second, 'Northwind Traders');
  // A page about you (the portal) goes on in the tab's own org.
  await first.click('nav >> text=Portal');
  await first.waitForURL(`${env.server.base}/`);
  await waitForContext(first, 'Acme Corp');
  await context.close();
});

test('MSP-only pages say so in a customer and lead back; overview rows open the customer', async () => {
  const { context, page } = await pageAs(env, 'alice@contoso.example');
  await page.goto(`${env.server.base}/o/acme-contoso/overview`);
  await page.waitForSelector('[data-testid=msp-only]');
  await page.click('[data-testid=back-home]');
  await waitForContext(page, 'Contoso MSP');
  await page.waitForURL(/\/o\/[^/]+\/overview$/);
  await page.click('[data-testid=overview-table] tr[data-slug="acme-contoso"] [data-testid=open-customer]');
  await page.waitForURL(/\/o\/acme-contoso\/assets$/);
  await waitForContext(page, 'Acme Corp');
  await page.waitForSelector('[data-testid=assets-table] tbody tr');
  await context.close();
});

test("on a tenant's own host the pages stay in that tenant; another tenant opens on its own host", async () => {
  const { context, page } = await pageAs(env, 'alice@contoso.example');
  await page.click('[data-testid=tile][data-slug="acme-contoso"] [data-testid=open-host]');
  await page.waitForURL(/^http:\/\/acme-contoso\.localhost:\d+\/$/);
  const acmeHost = new URL(page.url()).origin;
  await waitForContext(page, 'Acme Corp');
  // Another tenant's address on this host is not found, also as a typed URL.
  await page.goto(`${acmeHost}/o/tailspin-contoso/assets`);
  await page.waitForSelector('text=Not found');
  await page.screenshot({ path: `${ARTIFACTS}/tenant-host-other-tenant.png` });
  // Its own pages work, and a reload keeps the tenant.
  await page.goto(`${acmeHost}/o/acme-contoso/assets`);
  await waitForContext(page, 'Acme Corp');
  await page.reload();
  await waitForContext(page, 'Acme Corp');
  // Choosing Tailspin in the switcher goes to Tailspin's own host, through the handoff.
  const handoff = page.waitForRequest((r) => r.url().endsWith('/api/v1/auth/handoff') && r.method() === 'POST');
  await page.click('[data-testid=org-switcher]');
  await page.fill('[data-testid=org-search]', 'tailspin');
  await page.waitForSelector('[data-testid=org-results][data-query="tailspin"][aria-busy=false]');
  await page.click('.switcher-item .name:text-is("Tailspin Toys")');
  await handoff;
  await page.waitForURL(/^http:\/\/tailspin-contoso\.localhost:\d+\/$/);
  await waitForContext(page, 'Tailspin Toys');
  await context.close();
});
