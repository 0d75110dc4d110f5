'use client';

import Link from 'next/link';
import { usePathname } from 'next/navigation';

const LINKS = [
  { href: '/', label: 'Incident' },
  { href: '/inspect', label: 'Capture inspector' },
  { href: '/learn', label: 'Learn' },
];

export function NavLinks() {
  const path = usePathname();
  return (
    <nav aria-label="Pages" className="flex items-center gap-1 text-sm">
      {LINKS.map((l) => (
        <Link
          key={l.href}
          href={l.href}
          aria-current={path === l.href ? 'page' : undefined}
          className="rounded px-2.5 py-1 text-muted hover:text-fg aria-[current=page]:bg-panel-2 aria-[current=page]:font-medium aria-[current=page]:text-fg"
        >
          {l.label}
        </Link>
      ))}
    </nav>
  );
}
