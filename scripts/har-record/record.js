// record.js: a real Chromium, driven by Playwright, goes through one of the
// built-in target's modes as a person would, and Playwright saves what the
// browser sent and received as a HAR 1.2 file (bodies embedded). The tests
// of `cohort import` turn those files into profiles and run them.
//
//   node record.js FLOW BASE_URL OUT.har USERNAME PASSWORD
//
// FLOW is form (Spring form login, then the shop: browse, add to cart,
// check out, the order again by its id, logout), spa (the XSRF-TOKEN
// cookie echoed by the page's scripts), jwt (a token in a bearer header),
// servlet (FORM authentication, j_security_check) or oauth2 (the
// application's oauth2Login through its identity provider).
//
// CHROMIUM names the browser (default /usr/bin/chromium, Debian's).
'use strict';

const { chromium } = require('playwright-core');

// signIn submits a login form and waits for the page after it. Spring
// sends the browser back to the request it saved before the login, and the
// browser's own request for /favicon.ico is often that one (the page then
// is /favicon.ico?continue): as a person would, go home from there.
async function signIn(page, base, submit) {
  await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/login')), page.click(submit)]);
  if (page.url() !== base + '/') {
    await page.goto(base + '/');
  }
}

const flows = {
  // Spring Security's form login, then the shop's journeys.
  async form(page, base, user, pass) {
    await page.goto(base + '/');
    await page.fill('input[name="username"]', user);
    await page.fill('input[name="password"]', pass);
    await signIn(page, base, 'button[type="submit"]');
    await page.click('a[href="/account"]');
    await page.goto(base + '/shop');
    await Promise.all([page.waitForURL(/\/shop\/products\/\d+$/), page.click('a.product >> nth=2')]);
    await Promise.all([page.waitForURL(/\/shop\/cart$/), page.click('form#add-to-cart button')]);
    await Promise.all([page.waitForURL(/\/shop\/orders\/\d+$/), page.click('form#checkout button')]);
    const order = page.url();
    await page.goto(base + '/account');
    await page.goto(order); // the order again, by its id
    await page.goto(base + '/account');
    await Promise.all([page.waitForURL(/logout$/), page.click('form[action="/logout"] button')]);
  },

  // A single-page application: the login form, then the API called by
  // the page's scripts with the XSRF-TOKEN cookie echoed in a header.
  async spa(page, base, user, pass) {
    await page.goto(base + '/login');
    await page.fill('input[name="username"]', user);
    await page.fill('input[name="password"]', pass);
    await signIn(page, base, 'button[type="submit"]');
    await page.evaluate(async () => {
      const xsrf = () => document.cookie.split('; ').find((c) => c.startsWith('XSRF-TOKEN=')).slice(11);
      const json = { Accept: 'application/json' };
      await (await fetch('/api/profile', { headers: json })).json();
      const made = await fetch('/api/orders', {
        method: 'POST',
        headers: { ...json, 'Content-Type': 'application/json', 'X-XSRF-TOKEN': xsrf() },
        body: JSON.stringify({ item: 'pen', qty: 2 }),
      });
      const order = await made.json();
      await (await fetch('/api/orders/' + order.id, { headers: json })).json();
      await (await fetch('/api/orders', { headers: json })).json();
      await fetch('/logout', { method: 'POST', headers: { 'X-XSRF-TOKEN': xsrf() }, redirect: 'manual' });
    });
  },

  // A token API: the page's scripts log in with JSON and send the access
  // token as a bearer header.
  async jwt(page, base, user, pass) {
    await page.goto(base + '/login');
    await page.evaluate(async ([user, pass]) => {
      const tok = await (await fetch('/api/auth/token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ username: user, password: pass }),
      })).json();
      const auth = { Authorization: 'Bearer ' + tok.access_token, Accept: 'application/json' };
      await (await fetch('/api/profile', { headers: auth })).json();
      const order = await (await fetch('/api/orders', {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify({ item: 'lamp', qty: 1 }),
      })).json();
      await (await fetch('/api/orders/' + order.id, { headers: auth })).json();
    }, [user, pass]);
  },

  // Servlet FORM authentication: the protected page shows the form.
  async servlet(page, base, user, pass) {
    await page.goto(base + '/app/account');
    await page.fill('input[name="j_username"]', user);
    await page.fill('input[name="j_password"]', pass);
    await Promise.all([page.waitForURL(/\/app\/account$/), page.click('input[type="submit"]')]);
    await page.goto(base + '/app/');
    await page.goto(base + '/app/account');
    await Promise.all([page.waitForURL((u) => !u.pathname.endsWith('/account')), page.click('text=Log out')]);
  },

  // oauth2Login: the application sends the browser to its identity
  // provider, whose login form sends it back with a code.
  async oauth2(page, base, user, pass) {
    await page.goto(base + '/oauth2/authorization/idp');
    await page.fill('input[name="username"]', user);
    await page.fill('input[name="password"]', pass);
    await Promise.all([page.waitForURL(base + '/'), page.click('#kc-form-login button, #kc-form-login input[type="submit"]')]);
    await page.click('a[href="/account"]');
    await Promise.all([page.waitForURL(/logout$/), page.click('form[action="/logout"] button')]);
  },
};

async function main() {
  const [flow, base, out, user, pass] = process.argv.slice(2);
  if (!flows[flow] || !out || !pass) {
    console.error('usage: node record.js ' + Object.keys(flows).join('|') + ' BASE_URL OUT.har USERNAME PASSWORD');
    process.exit(2);
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox'],
  });
  try {
    const context = await browser.newContext({ recordHar: { path: out, content: 'embed', mode: 'full' } });
    const page = await context.newPage();
    page.setDefaultTimeout(60000);
    await flows[flow](page, base, user, pass);
    await context.close(); // writes the HAR
  } finally {
    await browser.close();
  }
}

main().catch((err) => {
  console.error('record.js: ' + (err && err.stack ? err.stack : err));
  process.exit(1);
});
