// The dev server's Web UI in headless Chromium (Debian package, `npm run setup:browser`) driven by
// playwright-core: a visibility query by TiemSourceClusterId lists the clone; its page shows the
// workflow type, the search attributes and — through the stack's loopback codec server — the
// decrypted input.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { EmbeddedStack } from '../../embedded/stack.js';
import { runClone, SOURCE, startTestStack, type CloneRun } from './helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const shots = mkdtempSync(join(tmpdir(), 'tiem-web-ui-'));

let stack: EmbeddedStack;
let browser: Browser;
let page: Page;
let run: CloneRun;

beforeAll(async () => {
  // Fail (never skip) with the fix in the message when the browser is missing.
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: run \`npm run setup:browser\` (apt-get install chromium) or set CHROMIUM_PATH`);
  stack = await startTestStack(13, { ui: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
  page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  page.setDefaultTimeout(30_000);
  run = await runClone(stack, 'TopologyClone');
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

test('the stack serves the Web UI with its codec endpoint', async () => {
  expect(stack.temporal.uiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(stack.codecEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const settings = (await (await fetch(`${stack.temporal.uiUrl}/api/v1/settings`)).json()) as { Codec: { Endpoint: string } };
  expect(settings.Codec.Endpoint).toBe(stack.codecEndpoint);
  // CORS preflight from the UI's origin, as the browser sends it
  const preflight = await fetch(`${stack.codecEndpoint}/decode`, {
    method: 'OPTIONS',
    headers: { Origin: stack.temporal.uiUrl!, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace' },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-origin')).toBe(stack.temporal.uiUrl);
});

test('a visibility query by TiemSourceClusterId lists the clone; its page shows type, search attributes and decoded input', async () => {
  expect(run.error).toBeUndefined();
  const ui = stack.temporal.uiUrl!;
  const query = encodeURIComponent(`TiemSourceClusterId="${SOURCE.id}"`);
  await page.goto(`${ui}/namespaces/default/workflows?query=${query}`);
  const link = page.getByRole('link', { name: run.workflowId, exact: true }).first();
  await link.waitFor();
  await page.getByText(`TiemSourceClusterId = "${SOURCE.id}"`).first().waitFor(); // the filter is applied
  await page.screenshot({ path: join(shots, 'workflows.png'), fullPage: true });

  await link.click();
  await page.waitForURL(new RegExp(`/workflows/${run.workflowId}/`));
  await page.getByText('cloneCluster', { exact: true }).first().waitFor();
  // Input decrypted by the codec server (history holds only ciphertext)
  await page.getByText(`"clusterName": "${run.request.clusterName}"`).first().waitFor();
  await page.screenshot({ path: join(shots, 'workflow.png'), fullPage: true });

  await page.getByText('Search Attributes', { exact: true }).first().click();
  await page.waitForURL(/\/search-attributes$/);
  await page.getByText(`"TiemSourceClusterId": "${SOURCE.id}"`).first().waitFor();
  await page.getByText(`"TiemClusterId": "${run.clusterId}"`).first().waitFor();
  await page.getByText('"TiemCloneStrategy": "TopologyClone"').first().waitFor();
  await page.screenshot({ path: join(shots, 'search-attributes.png'), fullPage: true });
  expect(existsSync(join(shots, 'search-attributes.png'))).toBe(true);
});
