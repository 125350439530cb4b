/**
 * whatsapp-web.js depends on puppeteer. Installing must never download a browser:
 * the WhatsApp channel runs Debian's Chromium or the Chrome named by CHROME_PATH.
 */
module.exports = { skipDownload: true };
