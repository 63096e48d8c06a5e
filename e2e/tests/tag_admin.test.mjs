// Issue 14 in the browser: an MSP admin makes a tag, tags a customer and scopes a technician
// to the tag on the Technicians page; the technician's access follows the tag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARTIFACTS } from './harness.mjs';
import { useTaggedDemo, waitForCustomerRows } from './tagged.mjs';

const world = useTaggedDemo();
const pageAs = world.pageAs;
const api = (...args) => world.api(...args);

test('an MSP admin makes a tag, puts it on a customer and scopes a technician to it; the technician then opens that customer', async () => {
  const { context, page } = await pageAs('alice@contoso.example');
  await page.click('nav >> text=Customers');
  await waitForCustomerRows(page, 5);
  await page.click('[data-testid=tags-card] summary');
  await page.fill('[data-testid=new-tag] input[name=tag-name]', 'vip');
  await page.click('[data-testid=new-tag] button[type=submit]');
  await page.waitForSelector('[data-testid=tags-card] li[data-tag=vip]');
  // The page's tag filter offers it at once.
  await page.waitForSelector('.page-head [data-testid=tag-filter] option:text-is("vip")', { state: 'attached' });
  await page.click('tr[data-slug=wingtip-contoso] >> text=Manage');
  await page.check('[data-testid=customer-tags] label[data-tag=vip] input');
  await page.waitForSelector('tr[data-slug=wingtip-contoso] .tag-chip[data-tag=vip]');
  await page.screenshot({ path: `${ARTIFACTS}/tags-manage.png` });
  const vip = (await api('GET', '/api/v1/tags', undefined, world.msp)).find((t) => t.name === 'vip');
  const wingtip = (await api('GET', `/api/v1/customers?limit=50&tag=${vip.id}`, undefined, world.msp)).items.map((c) => c.slug);
  assert.deepEqual(wingtip, ['wingtip-contoso']);

  // Ted (delegated Northwind only) gets every customer tagged vip.
  await page.click('nav >> text=Technicians');
  const ted = 'tr[data-email="ted@contoso.example"]';
  await page.waitForSelector(`${ted} [data-testid=scope-summary]:has-text("No scope")`);
  await page.click(`${ted} [data-testid=scope-summary]`);
  await page.check(`${ted} input[type=radio][value=tag]`);
  await page.selectOption(`${ted} select[name=scope-tag]`, vip.id);
  await page.click(`${ted} button:has-text("Save scope")`);
  await page.waitForSelector(`${ted} [data-testid=scope-summary]:has-text("every customer tagged vip")`);
  await page.screenshot({ path: `${ARTIFACTS}/technician-scope.png` });
  const tedId = (await api('GET', '/api/v1/users?limit=500', undefined, world.msp)).items.find((m) => m.user.email === 'ted@contoso.example').user.id;
  assert.deepEqual(await api('GET', `/api/v1/technicians/${tedId}/scope`, undefined, world.msp), { tag: vip.id });
  const tech = await pageAs('ted@contoso.example');
  await tech.page.waitForSelector('[data-testid=tile][data-slug=wingtip-contoso]');
  await tech.context.close();

  // Taken off again: the scope stays, Wingtip leaves it.
  await page.click('nav >> text=Customers');
  await page.click('tr[data-slug=wingtip-contoso] >> text=Manage');
  await page.uncheck('[data-testid=customer-tags] label[data-tag=vip] input');
  await page.waitForFunction(() => !document.querySelector('tr[data-slug=wingtip-contoso] .tag-chip[data-tag=vip]'));
  assert.deepEqual((await api('GET', `/api/v1/customers?limit=50&tag=${vip.id}`, undefined, world.msp)).items, []);
  await context.close();
});

