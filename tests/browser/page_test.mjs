// Loads the page `tokenmath serve` serves in headless Chromium (Debian's, via playwright-core; no browser
// download): the frontier chart draws, changes when the model changes, and the plan form gives the CLI's answer.
// Usage: node page_test.mjs BASE_URL TOKENMATH_BIN
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';

const [base, bin] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
});
const fail = (m) => { console.error('FAIL: ' + m); process.exitCode = 1; };
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(base + '/');
  await page.waitForSelector('#frontier', { timeout: 60000 });
  const first = await page.getAttribute('#frontier', 'd');
  if (!first || first.length < 10) fail('no frontier drawn');
  await page.selectOption('#model', 'gpt-oss-120b');
  await page.waitForFunction((d) => document.querySelector('#frontier') &&
                                    document.querySelector('#frontier').getAttribute('d') !== d, first,
                             { timeout: 60000 });
  const title = await page.textContent('#chart text');
  if (!title.includes('gpt-oss-120b')) fail('chart title does not name the new model: ' + title);
  // Deployments compared: one curve per feasible TP, more when a second GPU is added, each in the legend.
  await page.selectOption('#model', 'llama-3.1-8b');
  await page.waitForFunction(() => document.querySelectorAll('#chart path.series').length >= 4, null, { timeout: 60000 });
  const one = await page.locator('#chart path.series').count();
  await page.selectOption('#gpu2', 'mi300x');
  await page.waitForFunction((n) => document.querySelectorAll('#chart path.series').length > n, one, { timeout: 60000 });
  const legend = await page.textContent('#chart');
  if (!legend.includes('mi300x') || !legend.includes('h100-sxm')) fail('legend does not name both GPUs: ' + legend);
  if (!legend.includes('tokens/s per GPU') || !legend.includes('tokens/s per user')) fail('axes without units');
  await page.click('#run-plan');
  await page.waitForFunction(() => document.querySelector('#plan-answer').textContent.startsWith('Demand'),
                             null, { timeout: 120000 });
  const answer = await page.textContent('#plan-answer');
  const cli = JSON.parse(execFileSync(bin, ['plan', '--format', 'json']).toString());
  if (answer.split('\n')[1] !== cli.answer[1]) fail(`plan answer differs from the CLI:\n${answer}\n${cli.answer[1]}`);
  const table = await page.textContent('#plan-table');
  const chosen = cli.candidates[cli.chosen];
  if (!table.includes(`${chosen.fleet.gpus} GPUs`)) fail('plan table does not show the CLI fleet: ' + table);
  if (!table.includes(chosen.deployment.label) || table.includes('[object')) fail('plan table does not show the deployment: ' + table);
  if (!(await page.getAttribute('#hybrid-total', 'd'))) fail('no hybrid curve');
  await page.waitForSelector('#download-json', { state: 'visible', timeout: 120000 }).catch(() => fail('no download link'));
  await page.waitForFunction(() => document.querySelector('#download-yaml').href.startsWith('blob:') &&
                                   document.querySelector('#download-html').href.startsWith('blob:'), null, { timeout: 120000 });
  // A simulation job: progress, then its summary; a second one cancelled.
  await page.click('#run-sim');
  await page.waitForFunction(() => /^(done|cancelled)/.test(document.querySelector('#sim-state').textContent), null,
                             { timeout: 120000 });
  const sim = await page.textContent('#sim-table');
  if (!sim.includes('requests finished') || !sim.includes('TTFT')) fail('no simulation summary: ' + sim);
  if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
  if (errors.length) fail('page errors: ' + errors.join('; '));
  if (!process.exitCode) console.log('browser test: page loaded, chart redrawn for a new model, deployments and GPUs compared, plan (answer, fleet, hybrid curve, JSON/HTML/YAML downloads) equals the CLI, simulation job ran');
} finally {
  await browser.close();
}
