// Drives verify.html in Debian's chromium (headless, through
// playwright-core; no browser download) over a list of cases and prints
// what the page says about each, as JSON on stdout. The Rust test
// tests/verify_page.rs makes the cases (the demo's statements and their
// tampered copies), runs `kpiseal verify` on the same bytes and compares.
//
//   node browser/drive.mjs PAGE CASES.json [SCREENSHOT_DIR]
//
// A case: { id, drop?: [file], folder?: dir, key?: text, screenshots?: true }.
// `drop` files go through the page's drop handler (a DataTransfer, as a
// person dragging files), `folder` through its folder picker. For each case
// the output has { id, verdict, failed: [check names], checks: [{ name,
// passed }], amountDue, seller, statementNumber, pin, demo, milliseconds,
// requests (any non-file: request the page made) }.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const [pagePath, casesPath, screenshots] = process.argv.slice(2);
const cases = JSON.parse(readFileSync(casesPath, 'utf8'));
const LANGUAGES = ['zh-CN', 'en', 'pt-BR'];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const results = [];
try {
  for (const c of cases) {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const requests = [];
    page.on('request', (request) => {
      if (!request.url().startsWith('file:')) requests.push(request.url());
    });
    await page.goto(pathToFileURL(pagePath).href);
    if (c.key) {
      await page.fill('#pinned-key', c.key);
      await page.dispatchEvent('#pinned-key', 'change');
    }
    const before = await page.getAttribute('#result', 'data-run');
    if (c.folder) {
      await page.setInputFiles('#pick-folder', c.folder);
    } else {
      const files = c.drop.map((path) => ({ name: basename(path), bytes: [...readFileSync(path)] }));
      const transfer = await page.evaluateHandle((list) => {
        const dt = new DataTransfer();
        for (const f of list) dt.items.add(new File([new Uint8Array(f.bytes)], f.name));
        return dt;
      }, files);
      await page.dispatchEvent('#drop', 'drop', { dataTransfer: transfer });
    }
    await page.waitForFunction((run) => {
      const section = document.getElementById('result');
      return section.dataset.run && section.dataset.run !== run;
    }, before);
    const report = await page.evaluate(() => {
      const cell = (label) => {
        for (const row of document.querySelectorAll('#summary tr')) if (row.firstChild.textContent === label) return row.lastChild.textContent;
        return null;
      };
      return {
        verdict: document.getElementById('result').dataset.verdict,
        verdictWord: document.getElementById('verdict-word').textContent,
        failed: [...document.querySelectorAll('#checks tr[data-passed="false"]')].map((row) => row.dataset.check),
        checks: [...document.querySelectorAll('#checks tr[data-check]')].map((row) => ({ name: row.dataset.check, passed: row.dataset.passed === 'true' })),
        amountDue: cell('Amount due'),
        seller: cell('Seller'),
        statementNumber: cell('Statement no.'),
        pin: document.querySelector('#summary [class^="pin-"]') ? document.querySelector('#summary [class^="pin-"]').className.slice(4) : null,
        demo: !document.getElementById('demo-warning').hidden,
        milliseconds: Number(document.getElementById('result').dataset.milliseconds),
      };
    });
    if (screenshots && c.screenshots) {
      for (const language of LANGUAGES) {
        await page.selectOption('#language', language);
        await page.screenshot({ path: `${screenshots}/${c.id}-${language}.png`, fullPage: true });
      }
    }
    results.push({ id: c.id, ...report, requests });
    await context.close();
  }
} finally {
  await browser.close();
}
process.stdout.write(`${JSON.stringify(results, null, 1)}\n`);
