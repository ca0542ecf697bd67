// The page Chromium's own PDF viewer opens a URL at: `node pdf_viewer.js PUPPETEER URL`
// prints {"page": N} (1-based; null when the viewer showed no page past the first within a
// minute: a name on page 1 cannot be told from the document loading).
// PUPPETEER is puppeteer-core's folder (the one DAISY Ace brings: .ace/node_modules).
const puppeteer = require(process.argv[2]);

(async () => {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: 'new', // the whole browser, with its PDF viewer (the old headless shell has none)
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage();
    await page.goto(process.argv[3], { waitUntil: 'load', timeout: 60000 });
    // The viewer is an extension's frame; its page box is deep in shadow roots. It reads
    // 0 or 1 while the document loads, then the page the URL's #NAME names.
    let found = null;
    const deadline = Date.now() + 60000;
    while (Date.now() < deadline) {
      for (const frame of page.frames()) {
        if (!frame.url().startsWith('chrome-extension://')) continue;
        found = await frame.evaluate(() => {
          let el = document.querySelector('pdf-viewer');
          for (const name of ['viewer-toolbar', 'viewer-page-selector', 'input']) {
            el = el && el.shadowRoot && el.shadowRoot.querySelector(name);
          }
          return el ? Number(el.value) : null;
        }).catch(() => null);
      }
      if (found > 1) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    console.log(JSON.stringify({ page: found || null }));
  } finally {
    await browser.close();
  }
})();
