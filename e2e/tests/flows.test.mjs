// End-to-end flows of the MSP console, invitations and assets, in headless Chromium.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launchBrowser, signIn, switchTo, waitForContext, waitForSwitcherResults, ARTIFACTS, DEMO_PASSWORD } from './harness.mjs';

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

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  return { context, page: await context.newPage() };
}


test('an MSP admin adds a customer, delegates a technician with an expiry; the technician sees exactly that; audit shows it; delete removes it', async () => {
  const { context, page } = await newPage();
  await signIn(page, server.base, 'alice@contoso.example', DEMO_PASSWORD);
  await page.click('nav >> text=Customers');
  await page.waitForSelector('[data-testid=add-customer]');
  await page.fill('[data-testid=add-customer] input[name=name]', 'Delta Dental');
  // The slug follows the name as it is typed.
  await page.waitForFunction(() => document.querySelector('[data-testid=add-customer] input[name=slug]')?.value === 'delta-dental-contoso');
  await page.fill('[data-testid=add-customer] input[name=email_domain]', 'deltadental.example');
  await page.click('[data-testid=add-customer] button[type=submit]');
  await page.waitForSelector('[data-testid=customers-table] tr[data-slug="delta-dental-contoso"]');
  await page.screenshot({ path: `${ARTIFACTS}/customers.png` });

  await page.click('tr[data-slug="delta-dental-contoso"] >> text=Manage');
  await page.waitForSelector('[data-testid=customer-panel]');
  await page.selectOption('[data-testid=delegate-form] select[name=technician]', { label: 'Ted Technician (ted@contoso.example)' });
  await page.fill('[data-testid=delegate-form] input[name=expires_at]', '2099-12-31');
  await page.click('[data-testid=delegate-form] button[type=submit]');
  await page.waitForSelector('[data-testid=delegations-table] >> text=ted@contoso.example');
  assert.match(await page.textContent('[data-testid=delegations-table]'), /2099-12-31/);
  await page.screenshot({ path: `${ARTIFACTS}/delegation.png` });

  // The technician: exactly their customers (Northwind from the demo, and Delta Dental now).
  const tech = await newPage();
  await signIn(tech.page, server.base, 'ted@contoso.example', DEMO_PASSWORD);
  await tech.page.waitForSelector('[data-testid=tile][data-slug="delta-dental-contoso"]');
  const slugs = await tech.page.$$eval('[data-testid=tile]', (tiles) => tiles.map((t) => t.dataset.slug).sort());
  assert.deepEqual(slugs, ['contoso', 'delta-dental-contoso', 'northwind-contoso']);
  await tech.page.click('[data-testid=org-switcher]');
  await tech.page.fill('[data-testid=org-search]', 'delta');
  await waitForSwitcherResults(tech.page, 'delta');
  await tech.page.keyboard.press('Enter');
  await waitForContext(tech.page, 'Delta Dental');
  assert.match(await tech.page.textContent('[data-testid=context-banner]'), /as admin/);
  await tech.context.close();

  // The audit page says who did what.
  await switchTo(page, 'delta', 'Delta Dental');
  await page.click('nav >> text=Audit');
  await page.waitForSelector('[data-testid=audit-table] >> text=delegation.grant');
  const audit = await page.textContent('[data-testid=audit-table]');
  assert.match(audit, /alice@contoso\.example/);
  assert.match(audit, /org\.create/);

  // Deleting the customer asks for its slug, then it is gone everywhere.
  await switchTo(page, 'contoso', 'Contoso MSP');
  await page.click('nav >> text=Overview');
  await page.waitForSelector('[data-testid=overview-table] tr[data-slug="delta-dental-contoso"]');
  await page.screenshot({ path: `${ARTIFACTS}/overview.png` });
  await page.click('nav >> text=Customers');
  await page.click('tr[data-slug="delta-dental-contoso"] >> text=Manage');
  const del = page.locator('[data-testid=customer-panel] >> text=Delete customer');
  assert.equal(await del.isDisabled(), true);
  await page.fill('[data-testid=customer-panel] input[name=confirm-slug]', 'delta-dental-contoso');
  await del.click();
  await page.waitForSelector('tr[data-slug="delta-dental-contoso"]', { state: 'detached' });
  const orgs = await page.evaluate(async () => (await (await fetch('/api/v1/orgs?q=delta')).json()).items.length);
  assert.equal(orgs, 0);
  await context.close();
});

test('a tenant subdomain opens without a second sign-in', async () => {
  const { context, page } = await newPage();
  await signIn(page, server.base, 'alice@contoso.example', DEMO_PASSWORD);
  await page.screenshot({ path: `${ARTIFACTS}/portal.png` });
  await page.click('[data-testid=tile][data-slug="acme-contoso"] [data-testid=open-host]');
  await page.waitForURL(/^http:\/\/acme-contoso\.localhost:\d+\/$/);
  await waitForContext(page, 'Acme Corp');
  assert.match(await page.textContent('[data-testid=current-user]'), /alice@contoso\.example/);
  // Someone without access to a tenant gets the same not-found page as for a missing tenant.
  const other = await newPage();
  await signIn(other.page, server.base.replace('127.0.0.1', 'fabrikam-contoso.localhost'), 'carol@acme.example', DEMO_PASSWORD).catch(() => {});
  await other.page.waitForSelector('text=Not found');
  await other.context.close();
  await context.close();
});

test('an admin invites someone, who accepts in another browser and signs in', async () => {
  const { context, page } = await newPage();
  await signIn(page, server.base, 'carol@acme.example', DEMO_PASSWORD);
  await page.click('nav >> text=People');
  await page.fill('[data-testid=invite-form] input[name=email]', 'newbie@acme.example');
  await page.click('[data-testid=invite-form] button[type=submit]');
  const link = (await (await page.waitForSelector('[data-testid=invitation-link] code')).textContent()).trim();
  assert.match(link, /\/accept\?token=/);
  await page.waitForSelector('[data-testid=outbox] >> text=newbie@acme.example');

  const invitee = await newPage();
  await invitee.page.goto(link);
  await invitee.page.waitForSelector('body[data-hydrated="true"]');
  await invitee.page.waitForSelector('[data-testid=accept-form]');
  assert.equal(await invitee.page.$eval('[data-testid=accept-form]', (f) => f.method), 'post', 'a password is never sent in a URL');
  await invitee.page.fill('#name', 'Nina Newbie');
  await invitee.page.fill('#password', 'a-long-new-password');
  await invitee.page.click('[data-testid=accept-form] button[type=submit]');
  await invitee.page.waitForSelector('[data-testid=current-user]:has-text("Nina Newbie")');
  await invitee.context.close();

  const again = await newPage();
  await signIn(again.page, server.base, 'newbie@acme.example', 'a-long-new-password');
  await waitForContext(again.page, 'Acme Corp');
  await again.context.close();
  await context.close();
});

test('assets selected in one tenant move to another and show up there', async () => {
  const { context, page } = await newPage();
  await signIn(page, server.base, 'alice@contoso.example', DEMO_PASSWORD);
  await switchTo(page, 'acme corp', 'Acme Corp');
  await page.click('nav >> text=Assets');
  await page.waitForSelector('[data-testid=assets-table] tr[data-external-id="rmm-0-0"]');
  await page.check('tr[data-external-id="rmm-0-0"] input[type=checkbox]');
  await page.check('tr[data-external-id="rmm-0-1"] input[type=checkbox]');
  await page.selectOption('[data-testid=move-assets] select[name=target]', { label: 'Acme Paris (acme-paris)' });
  await page.click("[data-testid=move-assets] button.primary");
  // Moving to another tenant asks first, naming it.
  await page.waitForSelector('[data-testid=confirm][open] >> text=Move 2 assets from Acme Corp to Acme Paris?');
  await page.click('[data-testid=confirm-yes]');
  await page.waitForSelector('[data-testid=move-result]');
  await page.waitForSelector('tr[data-external-id="rmm-0-0"]', { state: 'detached' });
  await switchTo(page, 'paris', 'Acme Paris');
  await page.waitForSelector('[data-testid=assets-table] tr[data-external-id="rmm-0-0"]');
  await page.waitForSelector('[data-testid=assets-table] tr[data-external-id="rmm-0-1"]');
  await context.close();
});
