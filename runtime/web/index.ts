// browse_web's engine: pages read by a real Chromium or a plain fetch, from the kernel's host, public web only.
export { WebBrowser, type WebBrowserOptions } from './WebBrowser.js';
export { isPublicAddress, parseWebUrl, type AddressPolicy } from './address.js';
export { findChromium } from './chromium.js';
export { extractHtml } from './extract.js';
