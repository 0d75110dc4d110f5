import { NextResponse, type NextRequest } from 'next/server';
import { parseIncidentId } from '@/lib/incident/ids';
import { incidentServer } from '@/lib/incident/server';

/** A shared incident's page. */
const INCIDENT_PAGE = /^\/i\/([^/]+)\/?$/;

/**
 * An expired incident's page answers 410 Gone, as its API does: a page cannot set its own
 * status, so the proxy (Node.js runtime) looks the id up first. Looking it up also deletes the
 * incident's bytes at once. Anything unusual is left to the page.
 */
async function expiredPage(raw: string, csp: string): Promise<NextResponse | null> {
  // Ids are plain base64url: no decoding (a malformed escape is then simply no id).
  const id = parseIncidentId(raw);
  if (!id) return null;
  try {
    const got = await (await incidentServer().store).get(id, Date.now());
    if (got.state !== 'expired') return null;
    const when = new Date(got.expiresAt).toUTCString();
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>Expired incident · Hopscope</title></head><body style="font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1.25rem;color:#1f2328"><main data-testid="incident-expired"><h1 style="font-size:1.25rem">This shared incident has expired</h1><p style="color:#59636e">It expired on ${when}, and its captures were deleted. Ask whoever shared it to share it again.</p><p><a href="/">Open Hopscope</a></p></main></body></html>`;
    return new NextResponse(html, { status: 410, headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Security-Policy': csp } });
  } catch {
    return null;
  }
}

function contentSecurityPolicy(nonce: string, dev: boolean): string {
  return [
    "default-src 'self'",
    // 'strict-dynamic' lets Next's nonced bootstrap load its chunks; worker-src covers the
    // analysis Web Worker.
    // React's dev build uses eval to rebuild server error stacks; the production build does not.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ''}`,
    // React and d3 set style="" attributes, which a nonce cannot cover.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * A fresh nonce per page request (Next.js guide "Content Security Policy"): Next reads it back
 * from the request's Content-Security-Policy header and puts it on its own scripts; the root
 * layout reads `x-nonce` for the theme script.
 */
export async function proxy(request: NextRequest) {
  const nonce = btoa(crypto.randomUUID());
  const csp = contentSecurityPolicy(nonce, process.env.NODE_ENV === 'development');
  const page = INCIDENT_PAGE.exec(request.nextUrl.pathname);
  const gone = page ? await expiredPage(page[1]!, csp) : null;
  if (gone) return gone;

  const requestHeaders = new Headers(request.headers);
  requestHeaders.set('x-nonce', nonce);
  requestHeaders.set('Content-Security-Policy', csp);

  const response = NextResponse.next({ request: { headers: requestHeaders } });
  response.headers.set('Content-Security-Policy', csp);
  return response;
}

export const config = {
  matcher: [
    {
      // Pages only. /api/ is left out so the proxy never sits in front of a streamed upload;
      // static files, icons and the sample captures carry no script that needs a nonce.
      source: '/((?!api(?:/|$)|_next/static/|_next/image|favicon\\.ico$|icon\\.svg$|samples/).*)',
      // Prefetches render no HTML of their own; the page they prefetch gets its own nonce.
      missing: [
        { type: 'header', key: 'next-router-prefetch' },
        { type: 'header', key: 'purpose', value: 'prefetch' },
      ],
    },
  ],
};
