import type { NextConfig } from 'next';

// Pages get their Content-Security-Policy, with a per-request nonce, from proxy.ts.
const EVERY_RESPONSE = [
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'strict-origin-when-cross-origin' },
];

// API responses are data, never a document: nothing in one may run, load or be framed, even if
// a browser is made to open it directly.
const API_RESPONSE = [
  { key: 'Content-Security-Policy', value: "default-src 'none'; frame-ancestors 'none'; sandbox" },
  { key: 'X-Content-Type-Options', value: 'nosniff' },
  { key: 'Referrer-Policy', value: 'no-referrer' },
];

const nextConfig: NextConfig = {
  // A second build beside the usual one (tests building while a dev server runs).
  distDir: process.env.HOPSCOPE_NEXT_DIST_DIR || '.next',
  poweredByHeader: false,
  reactStrictMode: true,
  async headers() {
    // The later rule wins where both match, so /api/ ends with no-referrer.
    return [
      { source: '/:path*', headers: EVERY_RESPONSE },
      { source: '/api/:path*', headers: API_RESPONSE },
    ];
  },
};

export default nextConfig;
