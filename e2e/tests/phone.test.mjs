// The console on a 390×844 phone and by keyboard alone: a folded navigation, tables that
// become cards, a switcher that fits, and the switcher as an ARIA combobox.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, signIn, waitForContext, waitForSwitcherResults, switchTo, ARTIFACTS, DEMO_PASSWORD } from './harness.mjs';

const env = useServerAndBrowser();
const PHONE = { width: 390, height: 844 };

async function phoneAs(email) {
  const context = await env.browser.newContext({ viewport: PHONE, hasTouch: true });
  const page = await context.newPage();
  await signIn(page, env.server.base, email, DEMO_PASSWORD);
  return { context, page };
}

/** Waits until the page shows what it loaded: no request in flight and no "Loading…" left. */
async function settled(page) {
  await page.waitForLoadState('networkidle');
  await page.waitForFunction(() => !/Loading/.test(document.querySelector('main')?.innerText ?? ''));
}

/** How far the page reaches sideways: at most the screen's width when nothing runs off it. */
const pageWidth = (page) => page.evaluate(() => document.documentElement.scrollWidth);

/** Opens the folded navigation and follows `name`; the navigation folds again. */
async function navigate(page, name) {
  await page.click('[data-testid=menu-button]');
  await page.waitForSelector('[data-testid=menu-button][aria-expanded=true]');
  await page.click(`nav.sidenav >> text=${name}`);
  await page.waitForSelector('[data-testid=menu-button][aria-expanded=false]');
  await page.waitForSelector('nav.sidenav', { state: 'hidden' });
  await settled(page);
}

test('on a phone the navigation folds away, nothing runs off the screen, and tables are cards', async () => {
  const { context, page } = await phoneAs('alice@contoso.example');
  await waitForContext(page, 'Contoso MSP');
  await settled(page);
  // Folded: the menu button shows, the links don't.
  assert.equal(await page.isVisible('nav.sidenav'), false);
  assert.equal(await page.getAttribute('[data-testid=menu-button]', 'aria-expanded'), 'false');
  const switcher = await page.$eval('[data-testid=org-switcher]', (b) => b.getBoundingClientRect().right);
  assert.ok(switcher <= PHONE.width, `the switcher ends at ${switcher}px`);
  assert.ok(await pageWidth(page) <= PHONE.width, `the portal is ${await pageWidth(page)}px wide`);
  await page.screenshot({ path: `${ARTIFACTS}/phone-portal.png`, fullPage: true });

  await navigate(page, 'Overview');
  await page.waitForSelector('[data-testid=overview-table] tr[data-slug]');
  assert.ok(await pageWidth(page) <= PHONE.width, `the overview is ${await pageWidth(page)}px wide`);
  // A card per customer: the header row is out of sight, each figure is labelled.
  assert.equal(await page.$eval('[data-testid=overview-table] thead', (t) => t.getBoundingClientRect().height <= 1), true);
  assert.equal(await page.$eval('[data-testid=overview-table] td[data-label=Assets]', (td) => getComputedStyle(td, '::before').content), '"Assets"');
  await page.screenshot({ path: `${ARTIFACTS}/phone-overview.png`, fullPage: true });

  await switchTo(page, 'acme', 'Acme Corp');
  await navigate(page, 'Assets');
  await page.waitForSelector('[data-testid=assets-table] tbody tr');
  assert.ok(await pageWidth(page) <= PHONE.width, `the assets page is ${await pageWidth(page)}px wide`);
  await page.screenshot({ path: `${ARTIFACTS}/phone-assets.png`, fullPage: true });

  await navigate(page, 'People');
  await page.waitForSelector('[data-testid=people-table] tr[data-email]');
  assert.ok(await pageWidth(page) <= PHONE.width, `the people page is ${await pageWidth(page)}px wide`);
  const widest = await page.$eval('[data-testid=people-table]', (t) => t.getBoundingClientRect().width);
  assert.ok(widest <= PHONE.width, `the people table is ${widest}px wide`);
  await page.screenshot({ path: `${ARTIFACTS}/phone-people.png`, fullPage: true });
  await context.close();
});

test('the switcher is a combobox: focus goes to its search, arrows move the active option, Escape and an outside click close it', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, env.server.base, 'alice@contoso.example', DEMO_PASSWORD);
  await waitForContext(page, 'Contoso MSP');
  const button = '[data-testid=org-switcher]';
  assert.equal(await page.getAttribute(button, 'aria-expanded'), 'false');

  // Opened from the keyboard: the search box has focus, the list is its listbox.
  await page.focus(button);
  await page.keyboard.press('Enter');
  await waitForSwitcherResults(page, '');
  assert.equal(await page.getAttribute(button, 'aria-expanded'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'org-search');
  const search = '[data-testid=org-search]';
  assert.equal(await page.getAttribute(search, 'role'), 'combobox');
  assert.equal(await page.getAttribute(search, 'aria-expanded'), 'true');
  const listId = await page.getAttribute(search, 'aria-controls');
  assert.equal(await page.getAttribute(`#${listId}`, 'role'), 'listbox');
  // The org acted in is marked; the first option is the active one.
  assert.equal(await page.textContent('[role=option][aria-current=true] .name'), 'Contoso MSP');
  const first = await page.getAttribute(search, 'aria-activedescendant');
  assert.equal(await page.getAttribute(`#${first}`, 'aria-selected'), 'true');
  await page.keyboard.press('ArrowDown');
  const second = await page.getAttribute(search, 'aria-activedescendant');
  assert.notEqual(second, first);
  assert.equal(await page.getAttribute(`#${second}`, 'aria-selected'), 'true');
  assert.equal(await page.getAttribute(`#${first}`, 'aria-selected'), 'false');

  // Escape closes and gives focus back to the button.
  await page.keyboard.press('Escape');
  await page.waitForSelector(`${button}[aria-expanded=false]`);
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'org-switcher');
  assert.equal(await page.isVisible('[data-testid=org-results]'), false);

  // A click outside closes it too, and nothing was picked.
  await page.click(button);
  await waitForSwitcherResults(page, '');
  await page.click('[data-testid=context-banner]');
  await page.waitForSelector(`${button}[aria-expanded=false]`);
  await waitForContext(page, 'Contoso MSP');

  // Picking by keyboard: open, type, Enter (the first match is the active option).
  const pick = async (query, name) => {
    await page.focus(button);
    await page.keyboard.press('Enter');
    await page.keyboard.type(query);
    await waitForSwitcherResults(page, query);
    await page.keyboard.press('Enter');
    await waitForContext(page, name);
  };
  // The portal page (a module without the router) loads the chosen org's first page.
  await pick('fabrikam', 'Fabrikam');
  await page.waitForSelector('body[data-hydrated="true"]');
  // In the app the page stays, and focus goes back to the button.
  await pick('acme corp', 'Acme Corp');
  assert.equal(new URL(page.url()).pathname, '/o/acme-contoso/assets');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'org-switcher');
  await context.close();
});

test('"Open on its own URL" is a control of its own, reached and used by keyboard', async () => {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, env.server.base, 'alice@contoso.example', DEMO_PASSWORD);
  await page.waitForSelector('[data-testid=tile][data-slug="acme-contoso"]');
  const open = '[data-testid=tile][data-slug="acme-contoso"] [data-testid=open-host]';
  // A real button or link, not nested in another control.
  assert.ok(['A', 'BUTTON'].includes(await page.$eval(open, (e) => e.tagName)));
  assert.equal(await page.$eval(open, (e) => e.parentElement.closest('button, a') === null), true);
  await page.focus(open);
  const handoff = page.waitForRequest((r) => r.url().endsWith('/api/v1/auth/handoff') && r.method() === 'POST');
  await page.keyboard.press('Enter');
  await handoff;
  await context.close();
});
