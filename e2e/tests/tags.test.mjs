// Issue 14 in the browser: tag chips and the tag filter on every list of orgs (customers,
// portal, overview, switcher).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitForSwitcherResults, ARTIFACTS } from './harness.mjs';
import { useTaggedDemo, waitForCustomerRows } from './tagged.mjs';

const world = useTaggedDemo();
const pageAs = world.pageAs;
const api = (...args) => world.api(...args);

test('customers carry tag chips and the list filters by tag', async () => {
  const { context, page } = await pageAs('alice@contoso.example');
  await page.click('nav >> text=Customers');
  await waitForCustomerRows(page, 5);
  await page.waitForSelector('tr[data-slug=acme-contoso] .tag-chip[data-tag=managed-m365]');
  assert.equal(await page.locator('tr[data-slug=northwind-contoso] .tag-chip').count(), 0);
  await page.selectOption('[data-testid=tag-filter]', world.tag.id);
  await waitForCustomerRows(page, 2);
  await page.screenshot({ path: `${ARTIFACTS}/customers-tag-filter.png` });
  await context.close();
});

/** Waits until `selector` matches exactly `n` elements. */
async function waitForCount(page, selector, n) {
  await page.waitForFunction(([s, n]) => document.querySelectorAll(s).length === n, [selector, n]);
}

test('the portal, the overview and the switcher show the chips and filter by tag too', async () => {
  const { context, page } = await pageAs('alice@contoso.example');
  // Portal: every tenant alice can open, the tagged ones with their chip.
  await page.waitForSelector('[data-testid=tile][data-slug=fabrikam-contoso] .tag-chip[data-tag=managed-m365]');
  assert.equal(await page.locator('[data-testid=tile][data-slug=wingtip-contoso] .tag-chip').count(), 0);
  assert.ok(await page.locator('[data-testid=tile]').count() > 2);
  await page.selectOption('.page-head [data-testid=tag-filter]', world.tag.id);
  await waitForCount(page, '[data-testid=tile]', 2);
  assert.deepEqual((await page.$$eval('[data-testid=tile]', (ts) => ts.map((t) => t.dataset.slug))).sort(), ['acme-contoso', 'fabrikam-contoso']);
  await page.screenshot({ path: `${ARTIFACTS}/portal-tag-filter.png` });

  // Overview: five customers, two after the filter.
  await page.click('nav >> text=Overview');
  await waitForCount(page, '[data-testid=overview-table] tbody tr', 5);
  await page.waitForSelector('[data-testid=overview-table] tr[data-slug=acme-contoso] .tag-chip[data-tag=managed-m365]');
  assert.equal(await page.locator('[data-testid=overview-table] tr[data-slug=northwind-contoso] .tag-chip').count(), 0);
  await page.selectOption('.page-head [data-testid=tag-filter]', world.tag.id);
  await waitForCount(page, '[data-testid=overview-table] tbody tr', 2);
  await page.waitForFunction(() => document.querySelector('[data-testid=overview-totals] .stat .n')?.textContent === '2');
  await page.screenshot({ path: `${ARTIFACTS}/overview-tag-filter.png` });

  // Switcher: chips beside the names; the filter narrows the list to the tagged orgs.
  await page.click('[data-testid=org-switcher]');
  await waitForSwitcherResults(page, '');
  await page.waitForSelector('.switcher-item:has(.name:text-is("Fabrikam")) .tag-chip[data-tag=managed-m365]');
  assert.ok(await page.locator('.switcher-item').count() > 2);
  await page.selectOption('.switcher-panel [data-testid=tag-filter]', world.tag.id);
  await page.waitForFunction(() => document.querySelector('[data-testid=org-results]')?.getAttribute('aria-busy') === 'false'
    && document.querySelectorAll('.switcher-item').length === 2);
  assert.deepEqual((await page.$$eval('.switcher-item .name', (ns) => ns.map((n) => n.textContent))).sort(), ['Acme Corp', 'Fabrikam']);
  await page.screenshot({ path: `${ARTIFACTS}/switcher-tag-filter.png` });
  await context.close();
});
