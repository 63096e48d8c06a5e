// The org switcher under hostile timing: a person types and presses Enter before the search
// answer is back, and answers come back out of order. Enter must act on what is typed now.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServerAndBrowser, pageAs, waitForContext, waitForSwitcherResults, sleep } from './harness.mjs';

const env = useServerAndBrowser();

/** Holds back every switcher search for `q` by `ms`. `sent` resolves when the page has asked
 *  for `q` (so a test can type on only after that state), `answered` when the first answer
 *  went back to the page. */
async function slowSearch(page, q, ms) {
  let markSent;
  let markAnswered;
  const sent = new Promise((resolve) => { markSent = resolve; });
  const answered = new Promise((resolve) => { markAnswered = resolve; });
  await page.route((url) => url.pathname === '/api/v1/orgs' && url.searchParams.get('q') === q, async (route) => {
    markSent();
    await sleep(ms);
    await route.continue().catch(() => {});
    markAnswered();
  });
  return { sent, answered };
}

test('Enter pressed before the answer for the typed text arrives picks from that answer, not from the list on screen', async () => {
  const { context, page } = await pageAs(env, 'alice@contoso.example');
  await waitForContext(page, 'Contoso MSP');
  await slowSearch(page, 'wingtip', 1500);
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
  const { context, page } = await pageAs(env, 'alice@contoso.example');
  await waitForContext(page, 'Contoso MSP');
  const north = await slowSearch(page, 'north', 1500);
  await page.click('[data-testid=org-switcher]');
  await waitForSwitcherResults(page, '');
  await page.fill('[data-testid=org-search]', 'north');
  // The page has asked for "north" (its answer is held back) before the text changes again.
  await north.sent;
  await page.fill('[data-testid=org-search]', 'fabrikam');
  await waitForSwitcherResults(page, 'fabrikam');
  // The answer for "north" arrives after the one for "fabrikam"; give the page time to
  // (wrongly) show it, then check it was dropped.
  await north.answered;
  await sleep(300);
  await waitForSwitcherResults(page, 'fabrikam');
  const names = await page.$$eval('[data-testid=org-results] .switcher-item .name', (els) => els.map((e) => e.textContent));
  assert.deepEqual(names, ['Fabrikam']);
  await page.keyboard.press('Enter');
  await waitForContext(page, 'Fabrikam');
  await context.close();
});
