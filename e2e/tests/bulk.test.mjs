// Issue 14 in the browser: the bulk-action wizard (select → dry run → confirm → progress →
// results), and a four-eyes approval with two admins in two browser contexts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARTIFACTS } from './harness.mjs';
import { useTaggedDemo } from './tagged.mjs';

const world = useTaggedDemo();
const pageAs = world.pageAs;
const api = (...args) => world.api(...args);

test('a technician walks the bulk wizard: the dry run refuses what they may not change, the run changes the rest', async () => {
  // Tom is delegated admin of Acme Corp and Tailspin Toys only: those are the customers he can pick.
  const { context, page } = await pageAs('tom@contoso.example');
  await page.click('nav >> text=Bulk actions');
  await page.waitForSelector('[data-testid=bulk-select] [data-testid=bulk-targets] label[data-slug=tailspin-contoso]');
  assert.deepEqual((await page.$$eval('[data-testid=bulk-targets] label', (ls) => ls.map((l) => l.dataset.slug))).sort(), ['acme-contoso', 'tailspin-contoso']);
  await page.click('text=Select all shown');
  await page.waitForSelector('[data-testid=chosen-count]:has-text("2 customers chosen")');
  // By tag instead: every customer tagged managed-m365, Acme (his) and Fabrikam (not his).
  await page.check('[data-testid=by-tag]');
  await page.selectOption('[data-testid=target-tag]', world.tag.id);
  await page.selectOption('[data-testid=bulk-action]', 'set_setting');
  await page.selectOption('select[name=setting-key]', 'agent_settings');
  await page.fill('textarea[name=setting-value]', '{"check_in_interval_seconds": 420}');
  await page.screenshot({ path: `${ARTIFACTS}/bulk-1-select.png` });
  await page.click('[data-testid=dry-run]');
  await page.waitForSelector('[data-testid=bulk-review] [data-testid=bulk-summary]:has-text("1 customer would change")');
  assert.equal(await page.locator('[data-testid=bulk-review] tr[data-status=refused]').count(), 1);
  assert.equal(await page.locator('[data-testid=bulk-review] tr[data-status=ok]').count(), 1);
  await page.screenshot({ path: `${ARTIFACTS}/bulk-2-dry-run.png` });
  await page.click('[data-testid=continue]');
  await page.waitForSelector('[data-testid=bulk-confirm] [data-testid=run]:has-text("Run on 1 customer")');
  await page.screenshot({ path: `${ARTIFACTS}/bulk-3-confirm.png` });
  await page.click('[data-testid=run]');
  await page.waitForSelector('[data-testid=bulk-results] [data-testid=bulk-summary]:has-text("1 customer changed")');
  assert.equal(await page.locator('[data-testid=bulk-results] tr[data-status=refused]').count(), 1);
  assert.equal(await page.locator('[data-testid=bulk-results] tr[data-status=ok]').count(), 1);
  await page.screenshot({ path: `${ARTIFACTS}/bulk-4-results.png` });
  // What the run did is what the API now says.
  const customers = (await api('GET', '/api/v1/customers?limit=50', undefined, world.msp)).items;
  const setting = async (name) => (await api('GET', '/api/v1/settings/agent_settings', undefined, customers.find((c) => c.name === name).id)).value.check_in_interval_seconds;
  assert.equal(await setting('Acme Corp'), 420);
  assert.equal(await setting('Fabrikam'), 300, 'the default: not his to change');
  assert.equal(await setting('Tailspin Toys'), 300, 'his, but not tagged');
  await context.close();
});

test('a bulk suspend waits for a second admin: alice asks, bob approves in another browser, then it runs', async () => {
  await api('PUT', '/api/v1/settings/approvals', { value: { actions: ['bulk.suspend'] } }, world.msp);
  const alice = await pageAs('alice@contoso.example');
  const bob = await pageAs('bob@contoso.example');

  await alice.page.click('nav >> text=Bulk actions');
  await alice.page.waitForSelector('[data-testid=bulk-select]');
  await alice.page.check('[data-testid=by-tag]');
  await alice.page.selectOption('[data-testid=target-tag]', world.tag.id);
  await alice.page.selectOption('[data-testid=bulk-action]', 'suspend');
  await alice.page.click('[data-testid=dry-run]');
  await alice.page.waitForSelector('[data-testid=bulk-review] [data-testid=bulk-summary]:has-text("2 customers would change")');
  await alice.page.click('[data-testid=continue]');
  await alice.page.click('[data-testid=run]');
  const held = await alice.page.waitForSelector('[data-testid=held]');
  const approval = await held.$eval('a[data-approval]', (a) => a.dataset.approval);
  await alice.page.screenshot({ path: `${ARTIFACTS}/approval-1-requested.png` });
  // Nothing is suspended yet, and alice can't approve her own request.
  assert.equal((await api('GET', '/api/v1/customers?limit=50', undefined, world.msp)).items.filter((c) => c.status === 'suspended').length, 0);
  await alice.page.click('nav >> text=Approvals');
  await alice.page.waitForSelector(`tr[data-approval="${approval}"][data-status=pending]:has-text("Waiting for another admin")`);
  assert.equal(await alice.page.locator(`tr[data-approval="${approval}"] [data-testid=approve]`).count(), 0);

  // Bob's bell has it; he approves on the Approvals page.
  await bob.page.reload();
  await bob.page.waitForSelector('body[data-hydrated="true"]');
  await bob.page.waitForSelector('[data-testid=bell-count]');
  await bob.page.click('nav >> text=Approvals');
  await bob.page.waitForSelector(`tr[data-approval="${approval}"][data-status=pending] [data-testid=approve]`);
  await bob.page.screenshot({ path: `${ARTIFACTS}/approval-2-pending.png` });
  await bob.page.click(`tr[data-approval="${approval}"] [data-testid=approve]`);
  await bob.page.waitForSelector('[data-testid=no-approvals]');
  await bob.page.uncheck('[data-testid=pending-only]');
  await bob.page.waitForSelector(`tr[data-approval="${approval}"][data-status=approved]:has-text("by bob@contoso.example")`);
  await bob.page.screenshot({ path: `${ARTIFACTS}/approval-3-approved.png` });

  // It ran as alice: the two tagged customers are suspended, the rest not.
  const suspended = (await api('GET', '/api/v1/customers?limit=50', undefined, world.msp)).items.filter((c) => c.status === 'suspended').map((c) => c.name).sort();
  assert.deepEqual(suspended, ['Acme Corp', 'Fabrikam']);
  await alice.page.click('nav >> text=Customers');
  await alice.page.waitForSelector('tr[data-slug=acme-contoso] .badge.suspended');
  await alice.page.screenshot({ path: `${ARTIFACTS}/approval-4-suspended.png` });
  await alice.context.close();
  await bob.context.close();
});
