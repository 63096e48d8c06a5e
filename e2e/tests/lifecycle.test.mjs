// Organizations tree, imports with progress, asset detail, and merging tenants, in headless Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, pageAs, switchTo, waitForContext, ARTIFACTS } from './harness.mjs';

const env = useServerAndBrowser();

const adminPage = () => pageAs(env, 'alice@contoso.example');

const branch = (slug) => `li.tree-node[data-org="${slug}"]`;

test('the organizations tree opens level by level down to assets, and search finds deep tenants', async () => {
  const { context, page } = await adminPage();
  await page.click('nav >> text=Organizations');
  await page.waitForSelector(`[data-testid=org-tree] ${branch('contoso')}`);
  // Collapsed by default: no customer is in the page until the MSP is opened.
  assert.equal(await page.locator(branch('acme-contoso')).count(), 0);
  await page.click(`${branch('contoso')} > .tree-row .tree-toggle`);
  await page.waitForSelector(branch('acme-contoso'));
  await page.click(`${branch('acme-contoso')} > .tree-row .tree-toggle`);
  await page.waitForSelector(branch('acme-berlin'));
  await page.waitForSelector(branch('acme-paris'));
  const computers = `${branch('acme-contoso')} li[data-kind=computer]`;
  await page.click(`${computers} .tree-toggle`);
  await page.waitForSelector(`${computers} .tree-leaf a`);
  await page.screenshot({ path: `${ARTIFACTS}/organizations-tree.png` });
  // Search runs on the server and shows the path of each match.
  await page.fill('[data-testid=tree-search]', 'lab');
  await page.waitForSelector(`${branch('acme-berlin-lab')}:has-text("Acme Corp")`);
  assert.equal(await page.locator(branch('acme-paris')).count(), 0);
  await context.close();
});

test('an asset opens from the list, is edited with a field error first, and saved', async () => {
  const { context, page } = await adminPage();
  await switchTo(page, 'fabrikam', 'Fabrikam');
  await page.click('nav >> text=Assets');
  const first = page.locator('[data-testid=assets-table] tbody tr a').first();
  await first.click();
  await page.waitForSelector('[data-testid=asset-name]');
  await page.fill('input[name=name]', '');
  await page.click('[data-testid=asset-save]');
  await page.waitForSelector('label:has(input[name=name]) .field-error');
  await page.fill('input[name=name]', 'renamed-by-browser');
  await page.click('[data-testid=asset-save]');
  await page.waitForSelector('[data-testid=asset-saved]');
  await page.waitForSelector('[data-testid=asset-name]:has-text("renamed-by-browser")');
  await context.close();
});

test('a 10,000-row asset import shows its progress, then the result; a bad tenant file lists its rows', async () => {
  const { context, page } = await adminPage();
  await switchTo(page, 'northwind', 'Northwind Traders');
  await page.click('nav >> text=Import');
  await page.waitForSelector('[data-testid=import-file]');
  let csv = 'kind,name,external_id,group\n';
  for (let i = 0; i < 10000; i++) csv += `computer,bulk-${i},bulk-ext-${i},Bulk ${i % 10}\n`;
  await page.setInputFiles('[data-testid=import-file]', { name: 'rmm-export.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  const started = Date.now();
  await Promise.all([
    page.waitForSelector('[data-testid=import-progress] progress'),
    page.click('[data-testid=import-start]'),
  ]);
  await page.waitForSelector('[data-testid=import-result]:has-text("10000 created")', { timeout: 120000 });
  console.log(`browser 10,000-row import: ${Date.now() - started} ms`);
  await page.screenshot({ path: `${ARTIFACTS}/import-done.png` });

  await switchTo(page, 'contoso', 'Contoso MSP');
  await page.click('nav >> text=Import');
  await page.check('[data-testid=import-tenants]');
  const bad = 'name,external_id,parent,domain\nGood Co,t-1,,good.example\nNo Domain Co,t-2,,\n';
  await page.setInputFiles('[data-testid=import-file]', { name: 'psa.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
  await page.click('[data-testid=import-start]');
  await page.waitForSelector('[data-testid=import-errors] td:has-text("domain")');
  await page.waitForSelector('[data-testid=import-result]:has-text("nothing was imported")');
  await context.close();
});

test('a tenant merged into another disappears from the tree and its assets show up in the target', async () => {
  const { context, page } = await adminPage();
  await switchTo(page, 'paris', 'Acme Paris');
  await page.click('nav >> text=Merge tenant');
  await page.selectOption('[data-testid=merge-target]', { label: 'Acme Berlin (acme-berlin)' });
  await page.click('[data-testid=merge-preview]');
  await page.waitForSelector('[data-testid=merge-plan]');
  await page.screenshot({ path: `${ARTIFACTS}/merge-preview.png` });
  await page.fill('[data-testid=merge-confirm]', 'acme-paris');
  await page.click('[data-testid=merge-run]');
  await page.waitForSelector('[data-testid=flash] >> text=Merged into Acme Berlin');
  await waitForContext(page, 'Acme Berlin');
  assert.match(page.url(), /\/o\/acme-berlin\/organizations$/);
  await page.click('nav >> text=Organizations');
  await page.fill('[data-testid=tree-search]', 'acme');
  await page.waitForSelector(branch('acme-berlin'));
  assert.equal(await page.locator(branch('acme-paris')).count(), 0);
  await context.close();
});
