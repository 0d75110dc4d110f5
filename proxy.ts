import { NextResponse, type NextRequest } from 'next/server';

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
export function proxy(request: NextRequest) {
  const nonce = btoa(crypto.randomUUID());
  const csp = contentSecurityPolicy(nonce, process.env.NODE_ENV === 'development');

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
