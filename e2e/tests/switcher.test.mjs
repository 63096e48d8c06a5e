// The org switcher under hostile timing: a person types and presses Enter before the search
// answer is back, and answers come back out of order. Enter must act on what is typed now.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, signIn, pageAs, switchTo, waitForContext, waitForSwitcherResults, sleep, DEMO_PASSWORD } from './harness.mjs';

const env = useServerAndBrowser();

/**
 * Alice signed in, with every switcher search for `q` held back by `ms`; `answered` resolves
 * once the first such answer went to the page. (The route is set before the page loads: set on
 * a live page, it can stall behind requests already in flight.)
 */
async function aliceWithSlowSearch(q, ms) {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 800 } });
  let arrived;
  const answered = new Promise((resolve) => { arrived = resolve; });
  await context.route((url) => url.pathname === '/api/v1/orgs' && url.searchParams.get('q') === q, async (route) => {
    await sleep(ms);
    await route.continue().catch(() => {});
    arrived();
  });
  const page = await context.newPage();
  await signIn(page, env.server.base, 'alice@contoso.example', DEMO_PASSWORD);
  return { context, page, answered };
}

test('Enter pressed before the answer for the typed text arrives picks from that answer, not from the list on screen', async () => {
  const { context, page } = await aliceWithSlowSearch('wingtip', 1500);
  await waitForContext(page, 'Contoso MSP');
  await page.click('[data-testid=org-switcher]');
  // The list for the empty query is on screen: home (Contoso MSP) first.
  await waitForSwitcherResults(page, '');
  await page.fill('[data-testid=org-search]', 'wingtip');
  // Still the old list while "wingtip" is on its way.
  await page.waitForSelector('[data-testid=org-results][data-query=""][aria-busy=true]');
  await page.keyboard.press('Enter');
  await waitForContext(page, 'Wingtip Toys');
  await context.close();
});

test('a late answer to an earlier query never replaces the list of what is typed now', async () => {
  const { context, page, answered: northAnswered } = await aliceWithSlowSearch('north', 1500);
  await waitForContext(page, 'Contoso MSP');
  await page.click('[data-testid=org-switcher]');
  await waitForSwitcherResults(page, '');
  const northAsked = page.waitForRequest((r) => new URL(r.url()).searchParams.get('q') === 'north');
  await page.fill('[data-testid=org-search]', 'north');
  await northAsked;
  await page.fill('[data-testid=org-search]', 'fabrikam');
  await waitForSwitcherResults(page, 'fabrikam');
  // The answer for "north" arrives after the one for "fabrikam"; give the page time to
  // (wrongly) show it, then check it was dropped.
  await northAnswered;
  await sleep(300);
  await waitForSwitcherResults(page, 'fabrikam');
  const names = await page.$$eval('[data-testid=org-results] .switcher-item .name', (els) => els.map((e) => e.textContent));
  assert.deepEqual(names, ['Fabrikam']);
  await page.keyboard.press('Enter');
  await waitForContext(page, 'Fabrikam');
  await context.close();
});

test('on a page opened by its address, switching org shows the same page in the new org, with no error in the console', async () => {
  const { context, page } = await pageAs(env, 'alice@contoso.example');
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // Opened by its address (a shared link, a reload, a link from the portal page): the page is
  // built after the shell loads the org, not by a navigation within the app.
  await page.goto(`${env.server.base}/o/fabrikam-contoso/assets`);
  await waitForContext(page, 'Fabrikam');
  await page.waitForSelector('[data-testid=assets-table]');
  await switchTo(page, 'acme corp', 'Acme Corp');
  assert.equal(new URL(page.url()).pathname, '/o/acme-contoso/assets');
  await page.waitForSelector('[data-testid=assets-table]');
  // And once more, back: the page of the second org goes as cleanly as the first.
  await switchTo(page, 'fabrikam', 'Fabrikam');
  assert.equal(new URL(page.url()).pathname, '/o/fabrikam-contoso/assets');
  await page.waitForSelector('[data-testid=assets-table]');
  assert.deepEqual(problems, []);
  await context.close();
});
