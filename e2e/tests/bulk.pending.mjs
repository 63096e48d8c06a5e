// Issue 14 in the browser: tag chips and the tag filter, the bulk-action wizard (select → dry
// run → confirm → progress → results), and a four-eyes approval with two admins in two
// browser contexts.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, pageAs as signedInPage, ARTIFACTS, DEMO_PASSWORD } from './harness.mjs';

const env = useServerAndBrowser();
const pageAs = (email) => signedInPage(env, email);

/** The API as alice (MSP admin of Contoso), with a bearer token: no cookies, no CSRF. */
async function aliceApi() {
  const base = env.server.base;
  const r = await fetch(`${base}/api/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'alice@contoso.example', password: DEMO_PASSWORD, name: 'bulk e2e' }),
  });
  assert.equal(r.status, 201);
  const { token } = await r.json();
  return async (method, path, body, org) => {
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    if (org) headers['x-org-id'] = org;
    const resp = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await resp.text();
    assert.ok(resp.ok, `${method} ${path}: ${resp.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

let api;
let msp;
let tag;
before(async () => {
  api = await aliceApi();
  msp = (await api('GET', '/api/v1/org')).id;
  tag = await api('POST', '/api/v1/tags', { name: 'managed-m365', color: '#1f6feb' }, msp);
  const customers = (await api('GET', '/api/v1/customers?limit=50', undefined, msp)).items;
  for (const name of ['Acme Corp', 'Fabrikam']) {
    const c = customers.find((x) => x.name === name);
    await api('PUT', `/api/v1/orgs/${c.id}/tags/${tag.id}`, {}, msp);
  }
});

/** Rows of the customers table once it lists exactly `n` customers. */
async function waitForCustomerRows(page, n) {
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=customers-table] tbody tr').length === n, n);
}

test('customers carry tag chips and the list filters by tag', async () => {
  const { context, page } = await pageAs('alice@contoso.example');
  await page.click('nav >> text=Customers');
  await waitForCustomerRows(page, 5);
  await page.waitForSelector('tr[data-slug=acme-contoso] .tag-chip[data-tag=managed-m365]');
  assert.equal(await page.locator('tr[data-slug=northwind-contoso] .tag-chip').count(), 0);
  await page.selectOption('[data-testid=tag-filter]', tag.id);
  await waitForCustomerRows(page, 2);
  await page.screenshot({ path: `${ARTIFACTS}/customers-tag-filter.png` });
  await context.close();
});

test('a technician walks the bulk wizard: the dry run refuses what they may not change, the run changes the rest', async () => {
  // Tom is delegated admin of Acme Corp and Tailspin Toys only.
  const { context, page } = await pageAs('tom@contoso.example');
  await page.click('nav >> text=Bulk actions');
  await page.waitForSelector('[data-testid=bulk-select] [data-testid=bulk-targets] label[data-slug=wingtip-contoso]');
  await page.click('text=Select all shown');
  await page.waitForSelector('[data-testid=chosen-count]:has-text("5 customers chosen")');
  await page.selectOption('[data-testid=bulk-action]', 'set_setting');
  await page.selectOption('select[name=setting-key]', 'agent_settings');
  await page.fill('textarea[name=setting-value]', '{"check_in_interval_seconds": 300}');
  await page.screenshot({ path: `${ARTIFACTS}/bulk-1-select.png` });
  await page.click('[data-testid=dry-run]');
  await page.waitForSelector('[data-testid=bulk-review] [data-testid=bulk-summary]:has-text("2 customers would change")');
  assert.equal(await page.locator('[data-testid=bulk-review] tr[data-status=refused]').count(), 3);
  assert.equal(await page.locator('[data-testid=bulk-review] tr[data-status=ok]').count(), 2);
  await page.screenshot({ path: `${ARTIFACTS}/bulk-2-dry-run.png` });
  await page.click('[data-testid=continue]');
  await page.waitForSelector('[data-testid=bulk-confirm] [data-testid=run]:has-text("Run on 2 customers")');
  await page.screenshot({ path: `${ARTIFACTS}/bulk-3-confirm.png` });
  await page.click('[data-testid=run]');
  await page.waitForSelector('[data-testid=bulk-results] [data-testid=bulk-summary]:has-text("2 customers changed")');
  assert.equal(await page.locator('[data-testid=bulk-results] tr[data-status=refused]').count(), 3);
  await page.screenshot({ path: `${ARTIFACTS}/bulk-4-results.png` });
  // What the run did is what the API now says.
  const customers = (await api('GET', '/api/v1/customers?limit=50', undefined, msp)).items;
  const acme = customers.find((c) => c.name === 'Acme Corp');
  const fabrikam = customers.find((c) => c.name === 'Fabrikam');
  assert.equal((await api('GET', '/api/v1/settings/agent_settings', undefined, acme.id)).value.check_in_interval_seconds, 300);
  assert.notEqual((await api('GET', '/api/v1/settings/agent_settings', undefined, fabrikam.id)).value.check_in_interval_seconds, 300);
  await context.close();
});

test('a bulk suspend waits for a second admin: alice asks, bob approves in another browser, then it runs', async () => {
  await api('PUT', '/api/v1/settings/approvals', { value: { actions: ['bulk.suspend'] } }, msp);
  const alice = await pageAs('alice@contoso.example');
  const bob = await pageAs('bob@contoso.example');

  await alice.page.click('nav >> text=Bulk actions');
  await alice.page.waitForSelector('[data-testid=bulk-select]');
  await alice.page.check('[data-testid=by-tag]');
  await alice.page.selectOption('[data-testid=target-tag]', tag.id);
  await alice.page.selectOption('[data-testid=bulk-action]', 'suspend');
  await alice.page.click('[data-testid=dry-run]');
  await alice.page.waitForSelector('[data-testid=bulk-review] [data-testid=bulk-summary]:has-text("2 customers would change")');
  await alice.page.click('[data-testid=continue]');
  await alice.page.click('[data-testid=run]');
  const held = await alice.page.waitForSelector('[data-testid=bulk-held]');
  const approval = await held.$eval('a[data-approval]', (a) => a.dataset.approval);
  await alice.page.screenshot({ path: `${ARTIFACTS}/approval-1-requested.png` });
  // Nothing is suspended yet, and alice can't approve her own request.
  assert.equal((await api('GET', '/api/v1/customers?limit=50', undefined, msp)).items.filter((c) => c.status === 'suspended').length, 0);
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
  const suspended = (await api('GET', '/api/v1/customers?limit=50', undefined, msp)).items.filter((c) => c.status === 'suspended').map((c) => c.name).sort();
  assert.deepEqual(suspended, ['Acme Corp', 'Fabrikam']);
  await alice.page.click('nav >> text=Customers');
  await alice.page.waitForSelector('tr[data-slug=acme-contoso] .badge.suspended');
  await alice.page.screenshot({ path: `${ARTIFACTS}/approval-4-suspended.png` });
  await alice.context.close();
  await bob.context.close();
});
