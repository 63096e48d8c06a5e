// Inherited settings and notifications in headless Chromium.
import { test } from 'node:test';
import { useServerAndBrowser, pageAs as signedInPage, switchTo, ARTIFACTS } from './harness.mjs';

const env = useServerAndBrowser();

const pageAs = (email) => signedInPage(env, email);

const windowCard = '[data-setting=maintenance_window]';

async function setWindow(page, start, end) {
  await page.click(`${windowCard} [data-testid=setting-edit]`);
  await page.fill(`${windowCard} input[name=start]`, start);
  await page.fill(`${windowCard} input[name=end]`, end);
  await page.click(`${windowCard} [data-testid=setting-save]`);
  await page.waitForSelector(`${windowCard} [data-testid=setting-value]:has-text("${start}–${end}")`);
  await page.waitForSelector(`${windowCard} [data-testid=setting-source]:has-text("Set here")`);
}

test('a maintenance window set on a customer is inherited by its child, overridden there, and reverted', async () => {
  const { context, page } = await pageAs('alice@contoso.example');
  await switchTo(page, 'acme corp', 'Acme Corp');
  await page.click('nav >> text=Settings');
  await page.waitForSelector(windowCard);
  await setWindow(page, '01:00', '03:00');

  await switchTo(page, 'acme berlin', 'Acme Berlin');
  await page.waitForSelector(`${windowCard} [data-testid=setting-source]:has-text("Inherited from Acme Corp")`);
  await page.waitForSelector(`${windowCard} [data-testid=setting-value]:has-text("01:00–03:00")`);

  // A bad value is refused next to its field, and nothing changes.
  await page.click(`${windowCard} [data-testid=setting-edit]`);
  await page.fill(`${windowCard} input[name=timezone]`, 'Mars/Base');
  await page.click(`${windowCard} [data-testid=setting-save]`);
  await page.waitForSelector(`${windowCard} label:has(input[name=timezone]) .field-error`);
  await page.fill(`${windowCard} input[name=timezone]`, 'UTC');
  await page.fill(`${windowCard} input[name=start]`, '04:00');
  await page.fill(`${windowCard} input[name=end]`, '06:00');
  await page.click(`${windowCard} [data-testid=setting-save]`);
  await page.waitForSelector(`${windowCard} [data-testid=setting-source]:has-text("Set here")`);
  await page.waitForSelector(`${windowCard} [data-testid=setting-value]:has-text("04:00–06:00")`);
  await page.screenshot({ path: `${ARTIFACTS}/settings-override.png` });

  await page.click(`${windowCard} [data-testid=setting-revert]`);
  await page.waitForSelector(`${windowCard} [data-testid=setting-source]:has-text("Inherited from Acme Corp")`);
  await page.waitForSelector(`${windowCard} [data-testid=setting-value]:has-text("01:00–03:00")`);
  await context.close();
});

test('a notification to a role reaches its members\' bell and inbox', async () => {
  const { context, page } = await pageAs('alice@contoso.example');
  await switchTo(page, 'fabrikam', 'Fabrikam');
  await page.click('nav >> text=Operations');
  await page.selectOption('[data-testid=notify] select[name=target]', 'role');
  await page.selectOption('[data-testid=notify] select[name=role]', 'admin');
  await page.fill('[data-testid=notify] input[name=title]', 'Patch night moved');
  await page.fill('[data-testid=notify] textarea[name=body]', 'Thursday instead of Friday.');
  await page.click('[data-testid=notify-send]');
  await page.waitForSelector('[data-testid=notify-result]:has-text("Delivered to 1")');
  await context.close();

  const frank = await pageAs('frank@fabrikam.example');
  await frank.page.waitForSelector('[data-testid=bell-count]');
  await frank.page.click('[data-testid=bell]');
  await frank.page.waitForSelector('[data-testid=inbox] .inbox-item.unread:has-text("Patch night moved")');
  await frank.page.click('[data-testid=read-all]');
  await frank.page.waitForSelector('[data-testid=inbox] .inbox-item.unread', { state: 'detached' });
  await frank.page.waitForSelector('[data-testid=bell-count]', { state: 'detached' });
  await frank.context.close();
});
