/**
 * The dashboard in a real browser (Debian's Chromium, driven by playwright-core) against the
 * running service: with a read key it shows the seeded scenario's figures, draws the revenue
 * chart, links the most recent orders to their workflows in the Temporal Web UI, and finds orders
 * by id or customer; each order's page shows its state, its events and a link to its workflow.
 * Screenshots are saved to test-artifacts/dashboard.png and test-artifacts/order.png.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { projectRoot } from '../../src/paths';
import { call } from '../support/http';
import { startTestStack, TEST_KEYS, TestStack } from '../support/stack';

/** .ci/run installs Debian's chromium; CHROMIUM_PATH points elsewhere. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = path.join(projectRoot(), 'test-artifacts');

let stack: TestStack;
let browser: Browser;
const run = Date.now().toString(36);
const ids = { shipped: `dash-${run}-1`, cancelled: `dash-${run}-2`, pending: `dash-${run}-3` };

beforeAll(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: run .ci/run (it installs Debian's chromium) or set CHROMIUM_PATH`);
  stack = await startTestStack();
  const post = async (route: string, json: unknown) => expect((await call(stack.apiUrl, 'POST', route, { json })).status).toBeLessThan(300);
  await post('/orders', {
    orderId: ids.shipped,
    customerId: `ada-${run}`,
    customerName: 'Ada',
    items: [
      { productId: 'prod-1', quantity: 2, price: 29.99 },
      { productId: 'prod-2', quantity: 1, price: 49.99 },
    ],
  });
  await post('/orders', { orderId: ids.cancelled, customerId: `bob-${run}`, items: [{ productId: 'prod-3', quantity: 1, price: 99.99 }] });
  await post('/orders', { orderId: ids.pending, customerId: `ada-${run}`, items: [{ productId: 'prod-1', quantity: 3, price: 29.99 }] });
  await post(`/orders/${ids.shipped}/status`, { status: 'CONFIRMED' });
  await post(`/orders/${ids.shipped}/status`, { status: 'SHIPPED' });
  await post(`/orders/${ids.cancelled}/cancel`, { reason: 'changed mind' });
  for (const [orderId, version] of [
    [ids.shipped, 3],
    [ids.cancelled, 2],
    [ids.pending, 1],
  ] as const) {
    expect((await call(stack.apiUrl, 'GET', `/orders/${orderId}?minVersion=${version}`)).body.version).toBe(version);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu'] });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A page that records what went wrong in it, and waits for the dashboard to have loaded (or says why not). */
async function open(url: string, context?: { newPage(): Promise<Page> }) {
  const page = await (context ?? browser).newPage({ viewport: { width: 1280, height: 1000 } } as never);
  const failures: string[] = [];
  page.on('pageerror', (error) => failures.push(error.message));
  page.on('console', (message) => message.type() === 'error' && failures.push(message.text()));
  await page.goto(url);
  const ready = async () => {
    try {
      await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    } catch (error) {
      throw new Error(
        `the dashboard did not load: ${(error as Error).message}\nshown error: ${await page.textContent('#error')}\nin the page: ${failures.join('\n')}`,
        { cause: error },
      );
    }
  };
  return { page, failures, ready };
}

it('shows the figures, the chart and the latest orders of the seeded scenario, with a read key', async () => {
  const { page, failures, ready } = await open(`${stack.apiUrl}/#key=${TEST_KEYS.read}`);
  await ready();

  // 109.97 + 99.99 + 89.97 = 299.93; net leaves out the cancelled 99.99; average 299.93 / 3.
  expect(await page.textContent('#total-orders')).toBe('3');
  expect(await page.textContent('#total-revenue')).toBe('299.93');
  expect(await page.textContent('#net-revenue')).toBe('199.94');
  expect(await page.textContent('#average-order-value')).toBe('99.98');
  for (const [status, count] of [
    ['PENDING', '1'],
    ['SHIPPED', '1'],
    ['CANCELLED', '1'],
    ['DELIVERED', '0'],
  ]) {
    expect(await page.textContent(`#by-status tr[data-status="${status}"] td:nth-child(2)`)).toBe(count);
  }

  // The chart has drawn: its canvas is no longer blank.
  // (The function runs in the page; written as a string since the tests compile without DOM types.)
  const painted = await page.evaluate(`(() => {
    const canvas = document.getElementById('revenue-chart');
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let count = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) count += 1;
    return count;
  })()`);
  expect(painted).toBeGreaterThan(1000);

  // The latest orders link to their own page and to their workflows in the Temporal Web UI.
  expect(await page.getAttribute(`#recent tr[data-order-id="${ids.pending}"] a.order-link`, 'href')).toBe(`#order=${ids.pending}`);
  const link = await page.getAttribute(`#recent tr[data-order-id="${ids.pending}"] a.workflow-link`, 'href');
  expect(link).toBe(`http://localhost:${stack.config.temporalUiPort}/namespaces/default/workflows/order-${ids.pending}`);
  expect(await page.locator('#recent tbody tr').count()).toBe(3);

  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
  expect(fs.statSync(path.join(ARTIFACTS, 'dashboard.png')).size).toBeGreaterThan(10_000);
  expect(failures).toEqual([]);
  await page.close();
});

it("opens an order's page from the most recent orders: its state, its events and its workflow", async () => {
  const { page, failures, ready } = await open(`${stack.apiUrl}/#key=${TEST_KEYS.read}`);
  await ready();
  await page.click(`#recent tr[data-order-id="${ids.shipped}"] a.order-link`);
  await page.waitForSelector('#order-page[data-ready="true"]', { timeout: 10_000 });
  expect(await page.isVisible('#content')).toBe(false);
  expect(await page.textContent('#order-id')).toBe(ids.shipped);
  expect(await page.textContent('#order-status')).toBe('SHIPPED');
  expect(await page.textContent('#order-total')).toBe('109.97');
  expect(await page.textContent('#order-version')).toBe('3');
  expect(await page.locator('#order-items li').allTextContents()).toEqual(['2 × prod-1 at 29.99', '1 × prod-2 at 49.99']);
  const cells = async (version: number) => page.locator(`#timeline tr[data-version="${version}"] td`).allTextContents();
  expect((await cells(1)).slice(1, 3)).toEqual(['OrderCreated', `created: 2 lines, 109.97, for Ada (ada-${run})`]);
  expect((await cells(2)).slice(1, 3)).toEqual(['OrderStatusChanged', 'PENDING → CONFIRMED']);
  expect((await cells(3)).slice(1, 3)).toEqual(['OrderStatusChanged', 'CONFIRMED → SHIPPED']);
  expect((await cells(3))[3]).toMatch(/^[0-9a-f-]{36}$/);
  expect(await page.getAttribute('#order-workflow a', 'href')).toBe(
    `http://localhost:${stack.config.temporalUiPort}/namespaces/default/workflows/order-${ids.shipped}`,
  );

  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, 'order.png'), fullPage: true });
  expect(fs.statSync(path.join(ARTIFACTS, 'order.png')).size).toBeGreaterThan(10_000);

  await page.click('#back');
  await page.waitForSelector('#content:not([hidden])', { timeout: 10_000 });
  expect(await page.isVisible('#order-page')).toBe(false);
  expect(failures).toEqual([]);
  await page.close();
});

it("opens a found order's page, its cancellation with the reason given", async () => {
  const { page, ready } = await open(`${stack.apiUrl}/#key=${TEST_KEYS.read}`);
  await ready();
  await page.fill('#query', ids.cancelled);
  await page.click('#search button');
  await page.click(`#search-results tr[data-order-id="${ids.cancelled}"] a.order-link`);
  await page.waitForSelector('#order-page[data-ready="true"]', { timeout: 10_000 });
  expect(await page.textContent('#order-status')).toBe('CANCELLED');
  expect(await page.locator('#timeline tr[data-version="2"] td').nth(2).textContent()).toBe('PENDING → CANCELLED: changed mind');

  // A search from an order's page goes back to the dashboard with what it found.
  await page.fill('#query', `ada-${run}`);
  await page.click('#search button');
  await page.waitForSelector(`#search-results tr[data-order-id="${ids.pending}"]`, { state: 'visible', timeout: 10_000 });
  expect(await page.isVisible('#order-page')).toBe(false);
  await page.close();
});

it('finds an order by its id, and a customer’s orders by the customer id', async () => {
  const { page, ready } = await open(`${stack.apiUrl}/#key=${TEST_KEYS.read}`);
  await ready();
  await page.fill('#query', ids.cancelled);
  await page.click('#search button');
  await page.waitForSelector(`#search-results tr[data-order-id="${ids.cancelled}"]`, { timeout: 10_000 });
  expect(await page.locator('#search-results tbody tr').count()).toBe(1);

  await page.fill('#query', `ada-${run}`);
  await page.click('#search button');
  await page.waitForSelector(`#search-results tr[data-order-id="${ids.pending}"]`, { timeout: 10_000 });
  expect(await page.locator('#search-results tbody tr').count()).toBe(2);
  await page.close();
});

it('asks for a key when it has none, and takes one typed in', async () => {
  const context = await browser.newContext();
  const { page, ready } = await open(stack.apiUrl, context);
  await page.waitForSelector('#key-form:not([hidden])', { timeout: 10_000 });
  await page.fill('#key', TEST_KEYS.read);
  await page.click('#key-form button');
  await ready();
  expect(await page.textContent('#total-orders')).toBe('3');
  await context.close();
});
