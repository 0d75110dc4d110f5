'use client';

import { useEffect, useRef, useState, type ButtonHTMLAttributes, type ReactNode } from 'react';
import type { BadgeTone } from '@/lib/viz/flow-list';

const TONES: Record<BadgeTone, string> = {
  ok: 'border-ok/40 bg-ok-soft text-ok',
  bad: 'border-danger/40 bg-danger-soft text-danger',
  warn: 'border-warn/40 bg-warn-soft text-warn',
  muted: 'border-border bg-panel-2 text-muted',
};

export function ToneBadge({ tone, children, className = '' }: { tone: BadgeTone; children: ReactNode; className?: string }) {
  return (
    <span className={`inline-flex max-w-full items-center truncate rounded border px-1.5 py-px text-xs font-medium ${TONES[tone]} ${className}`}>
      {children}
    </span>
  );
}

export function Panel({
  title,
  actions,
  children,
  className = '',
  bodyClassName = 'p-4',
  wrapTitle = false,
  ...rest
}: {
  title: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  bodyClassName?: string;
  /** Let a long title (counts) wrap onto a second line rather than be cut short. */
  wrapTitle?: boolean;
} & Omit<React.HTMLAttributes<HTMLElement>, 'title'>) {
  return (
    <section className={`flex min-w-0 flex-col rounded-lg border border-border bg-panel ${className}`} {...rest}>
      <header className="flex min-h-11 items-center justify-between gap-3 border-b border-border px-4 py-2">
        <h2 className={`${wrapTitle ? '' : 'truncate '}text-sm font-semibold tracking-tight`}>{title}</h2>
        {actions && <div className="flex shrink-0 items-center gap-2">{actions}</div>}
      </header>
      <div className={`min-h-0 flex-1 ${bodyClassName}`}>{children}</div>
    </section>
  );
}

type Variant = 'primary' | 'secondary' | 'ghost' | 'danger';
const VARIANTS: Record<Variant, string> = {
  primary: 'bg-accent text-accent-fg shadow-sm hover:opacity-90',
  secondary: 'border border-border bg-panel-2 text-fg hover:border-accent',
  ghost: 'text-muted hover:bg-panel-2 hover:text-fg',
  danger: 'border border-danger/50 text-danger hover:bg-danger-soft',
};

export function Button({ variant = 'secondary', className = '', ...rest }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant }) {
  return (
    <button
      type="button"
      className={`inline-flex items-center justify-center gap-1.5 rounded-md px-3 py-1.5 text-sm font-medium whitespace-nowrap transition-colors disabled:cursor-not-allowed disabled:opacity-50 ${VARIANTS[variant]} ${className}`}
      {...rest}
    />
  );
}

/**
 * A bar that jumps to each new value. It used to slide there (a 150 ms width transition): a layout
 * on the page's main thread every frame, near all the time while files are read, and on 2 cores
 * that thread's work is taken from the readers (main-thread time 3.5 s against 1.5 s over the
 * 2 GB bench drop).
 */
export function ProgressBar({ value, max, label, className = '' }: { value: number; max: number; label: string; className?: string }) {
  const pct = max > 0 ? Math.min(100, Math.max(0, (value / max) * 100)) : 0;
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(pct)}
      className={`h-1.5 overflow-hidden rounded-full bg-panel-2 ${className}`}
    >
      <div className="h-full rounded-full bg-accent" style={{ width: `${pct}%` }} />
    </div>
  );
}

/** Copies `text`; says so for a moment, or says that the browser refused. */
export function CopyButton({ text, label = 'Copy', className = '' }: { text: string; label?: string; className?: string }) {
  const [state, setState] = useState<'idle' | 'done' | 'failed'>('idle');
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);
  return (
    <button
      type="button"
      aria-label={`${label}: ${text.length > 60 ? `${text.slice(0, 57)}…` : text}`}
      data-copy={text}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          setState('done');
        } catch {
          setState('failed');
        }
        if (timer.current) clearTimeout(timer.current);
        timer.current = setTimeout(() => setState('idle'), 1500);
      }}
      className={`shrink-0 rounded border border-border bg-panel px-1.5 py-0.5 text-xs text-muted hover:border-accent hover:text-fg ${className}`}
    >
      {state === 'done' ? 'Copied' : state === 'failed' ? 'Copy failed' : label}
    </button>
  );
}

/** A download of `blob` as `name`, through a temporary object URL. */
export function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * Width of an element, following resizes; 0 until the first frame has laid it out. The
 * observer reports the width it starts with in that frame, where the page is laid out anyway:
 * measured here, the page was laid out inside the task that mounted the element (26-40 ms of
 * the message that brought a packet to the anatomy, on the 2 GB bench incident).
 */
export function useWidth<T extends HTMLElement>(): [React.RefObject<T | null>, number] {
  const ref = useRef<T | null>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(([e]) => e && setWidth(Math.floor(e.contentRect.width)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}
