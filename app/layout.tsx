import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { headers } from 'next/headers';
import { GeistSans } from 'geist/font/sans';
import { GeistMono } from 'geist/font/mono';
import { NavLinks } from '@/components/nav/NavLinks';
import { ThemeToggle } from '@/components/theme/ThemeToggle';
import { THEME_SCRIPT } from '@/components/theme/theme-script';
import './globals.css';

export const metadata: Metadata = {
  title: 'Hopscope',
  description: 'Where do the packets stop? A pcap analyzer for overlay-network incidents.',
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Set by proxy.ts; reading it renders every page per request, which a nonce needs.
  const nonce = (await headers()).get('x-nonce') ?? undefined;
  return (
    <html lang="en" className={`${GeistSans.variable} ${GeistMono.variable}`} suppressHydrationWarning>
      <head>
        <script nonce={nonce} dangerouslySetInnerHTML={{ __html: THEME_SCRIPT }} />
      </head>
      <body className="min-h-screen bg-bg font-sans text-fg antialiased">
        <header className="border-b border-border bg-panel">
          <div className="flex items-center justify-between gap-4 px-5 py-2.5">
            <div className="flex items-center gap-6">
              <a href="/" className="flex items-baseline gap-3">
                <span className="text-lg font-semibold tracking-tight">Hopscope</span>
                <span className="hidden text-sm text-muted lg:inline">Where do the packets stop?</span>
              </a>
              <NavLinks />
            </div>
            <ThemeToggle />
          </div>
        </header>
        {children}
      </body>
    </html>
  );
}
