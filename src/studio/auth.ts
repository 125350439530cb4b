import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';

export const STUDIO_COOKIE = 'puente_studio';
/** A week: staff on a phone should not paste the token every day, nor keep it for ever. */
const COOKIE_MAX_AGE = 7 * 24 * 3600;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A state-changing request must come from the studio's own page. Browsers send Origin with
 * every such request (and Sec-Fetch-Site), so a form or script on another site gets 403.
 * Tools that send neither (curl with the token header) are not browsers and cannot be tricked.
 */
export function sameOriginOnly(): MiddlewareHandler {
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const origin = c.req.header('origin');
    const site = c.req.header('sec-fetch-site');
    const allowed =
      origin !== undefined ? originMatchesHost(origin, requestHosts(c)) : !site || site === 'same-origin';
    if (!allowed) return c.text('Requests that change something must come from the studio page.', 403);
    return next();
  };
}

/**
 * With a token, every request needs it: the header or a Bearer token (tools), or the cookie that
 * opening `/?token=…` sets (browsers, which load scripts and styles without custom headers).
 */
export function tokenRequired(token: string): MiddlewareHandler {
  const cookieValue = createHmac('sha256', token).update('puente studio cookie').digest('hex');
  return async (c, next) => {
    const header = c.req.header('x-studio-token') ?? bearer(c.req.header('authorization'));
    const query = c.req.query('token');
    const cookie = getCookie(c, STUDIO_COOKIE);
    if (query !== undefined && same(query, token) && c.req.method === 'GET' && c.req.path === '/') {
      // The address the studio prints: trade the token for a cookie, and drop it from the address bar.
      setCookie(c, STUDIO_COOKIE, cookieValue, {
        httpOnly: true,
        sameSite: 'Strict',
        secure: isHttps(c),
        path: '/',
        maxAge: COOKIE_MAX_AGE,
      });
      return c.redirect('/', 302);
    }
    const ok =
      (header !== undefined && same(header, token)) ||
      (query !== undefined && same(query, token)) ||
      (cookie !== undefined && same(cookie, cookieValue));
    if (ok) return next();
    // A link opened from another site (webmail, a chat's web app) arrives without the
    // SameSite=Strict cookie, even after the redirect above. Loading the page again from here
    // sends it; a browser that has no cookie then gets the plain 401.
    if (c.req.header('sec-fetch-mode') === 'navigate' && c.req.header('sec-fetch-site') === 'cross-site') {
      return c.html(
        '<!doctype html><meta http-equiv="refresh" content="0"><title>Puente studio</title>',
        401,
      );
    }
    return c.text('A valid studio token is needed: open the address the studio printed.', 401);
  };
}

function bearer(value: string | undefined): string | undefined {
  const m = value ? /^Bearer\s+(.+)$/i.exec(value) : null;
  return m?.[1];
}

/** Compares secrets in constant time, whatever their lengths. */
function same(given: string, expected: string): boolean {
  const a = createHmac('sha256', 'compare').update(given).digest();
  const b = createHmac('sha256', 'compare').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The host the browser used: behind a reverse proxy, the one it forwarded. */
function requestHosts(c: Context): string[] {
  const forwarded = c.req.header('x-forwarded-host')?.split(',')[0]?.trim();
  const host = c.req.header('host') ?? new URL(c.req.url).host;
  return forwarded ? [forwarded, host] : [host];
}

function originMatchesHost(origin: string, hosts: string[]): boolean {
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    // Read each host as the browser would: lower case, without the scheme's default port.
    return hosts.some((h) => new URL(`${url.protocol}//${h}`).host === url.host);
  } catch {
    // "null" (a sandboxed frame, a file) or anything else that is not an origin.
    return false;
  }
}

function isHttps(c: Context): boolean {
  return c.req.header('x-forwarded-proto') === 'https' || new URL(c.req.url).protocol === 'https:';
}
