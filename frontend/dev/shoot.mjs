// Dev-only: open the page in headless Chromium, optionally run steps, take a screenshot,
// optionally measure fps with requestAnimationFrame.
//   node dev/shoot.mjs URL out.png [--view instances] [--wait ms] [--fps seconds] [--eval "js"] [--tab charts] [--size 1440x900]
import { chromium } from 'playwright-core';

const [url, out, ...rest] = process.argv.slice(2);
const opt = {};
for (let i = 0; i < rest.length; i += 2) opt[rest[i].slice(2)] = rest[i + 1];
const [w, h] = (opt.size ?? '1440x900').split('x').map(Number);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const page = await browser.newPage({ viewport: { width: w, height: h } });
const logs = [];
page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') logs.push(`${m.type()}: ${m.text()}`); });
page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
await page.goto(url);
await page.waitForFunction(() => window.monkeyhouse && window.monkeyhouse.store.topo.services.length > 0, null, { timeout: 15000 }).catch(() => logs.push('no topology after 15 s'));
if (opt.view) await page.evaluate((v) => window.monkeyhouse.setView(v), opt.view);
if (opt.tab) await page.click(`[data-testid=tab-${opt.tab}]`);
if (opt.eval) console.log('eval:', JSON.stringify(await page.evaluate(opt.eval)));
await page.waitForTimeout(Number(opt.wait ?? 1500));
if (opt.fps) {
  const secs = Number(opt.fps);
  const r = await page.evaluate((secs) => new Promise((done) => {
    let n = 0; const t0 = performance.now(); let worst = 0; let last = t0;
    const f = (now) => { n++; worst = Math.max(worst, now - last); last = now; if (now - t0 < secs * 1000) requestAnimationFrame(f); else done({ fps: n / ((now - t0) / 1000), worstMs: worst, drawn: window.monkeyhouse.nodeCount(), view: window.monkeyhouse.view }); };
    requestAnimationFrame(f);
  }), secs);
  console.log('fps:', JSON.stringify(r));
}
if (opt.eval2) console.log('eval2:', JSON.stringify(await page.evaluate(opt.eval2)));
await page.screenshot({ path: out });
console.log('counts:', await page.evaluate(() => ({ mode: document.querySelector('[data-testid=mode]').textContent, live: document.querySelector('[data-testid=live-count]').textContent, t: document.querySelector('[data-testid=sim-time]').textContent, drawn: window.monkeyhouse.nodeCount() })));
if (logs.length) console.log(logs.slice(0, 20).join('\n'));
await browser.close();
