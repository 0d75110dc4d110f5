import type { ComponentPropsWithoutRef } from 'react';
import ReactMarkdown, { type Components, type ExtraProps, type UrlTransform } from 'react-markdown';

/**
 * Where a link in a note may go. Anything else (javascript:, data:, vbscript:, file:, …) is not
 * a link at all.
 */
export type MarkdownHref =
  | { kind: 'internal'; href: string }
  | { kind: 'external'; href: string }
  | { kind: 'mail'; href: string };

// A stand-in origin: resolving against it tells "same site" from "elsewhere" the way the browser
// will, including `//host`, `/\host` and schemes hidden behind tabs or newlines (WHATWG URL).
const PROBE_ORIGIN = 'https://hopscope.invalid';

export function markdownHref(raw: string | null | undefined): MarkdownHref | null {
  const s = raw?.trim();
  if (!s) return null;
  let url: URL;
  try {
    url = new URL(s, `${PROBE_ORIGIN}/`);
  } catch {
    return null;
  }
  if (url.protocol === 'mailto:') return { kind: 'mail', href: url.href };
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  // A relative reference stays relative, so it resolves against the incident page, not the probe.
  if (url.origin === PROBE_ORIGIN) return { kind: 'internal', href: s };
  return { kind: 'external', href: url.href };
}

// react-markdown's default keeps irc:, ircs: and xmpp: too; notes need only the web and mail.
const urlTransform: UrlTransform = (url) => markdownHref(url)?.href ?? '';

// Only what CommonMark makes; raw HTML never reaches this list, react-markdown turns it into text.
const ALLOWED_ELEMENTS = [
  'p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'ul', 'ol', 'li',
  'pre', 'code', 'em', 'strong', 'a', 'img',
];

type Props<T extends keyof React.JSX.IntrinsicElements> = ComponentPropsWithoutRef<T> & ExtraProps;

const HEADING = 'font-semibold tracking-tight text-fg';

/*
 * Notes and comments sit under the page's own h1 (the incident title) and h2 (the section), so a
 * note's `#` is an h3: the outline stays whole for screen readers.
 */
const COMPONENTS: Components = {
  h1: ({ node: _, ...p }: Props<'h1'>) => <h3 className={`${HEADING} text-base`} {...p} />,
  h2: ({ node: _, ...p }: Props<'h2'>) => <h4 className={`${HEADING} text-[0.95rem]`} {...p} />,
  h3: ({ node: _, ...p }: Props<'h3'>) => <h5 className={`${HEADING} text-sm`} {...p} />,
  h4: ({ node: _, ...p }: Props<'h4'>) => <h6 className={`${HEADING} text-sm text-muted`} {...p} />,
  h5: ({ node: _, ...p }: Props<'h5'>) => <h6 className={`${HEADING} text-sm text-muted`} {...p} />,
  h6: ({ node: _, ...p }: Props<'h6'>) => <h6 className={`${HEADING} text-sm text-muted`} {...p} />,
  ul: ({ node: _, ...p }: Props<'ul'>) => <ul className="list-disc space-y-1 pl-5 marker:text-muted" {...p} />,
  ol: ({ node: _, ...p }: Props<'ol'>) => <ol className="list-decimal space-y-1 pl-5 marker:text-muted" {...p} />,
  li: ({ node: _, ...p }: Props<'li'>) => <li className="pl-0.5 [&>ol]:mt-1 [&>p+p]:mt-2 [&>ul]:mt-1" {...p} />,
  blockquote: ({ node: _, ...p }: Props<'blockquote'>) => (
    <blockquote className="space-y-2 border-l-2 border-border pl-3 text-muted" {...p} />
  ),
  hr: ({ node: _, ...p }: Props<'hr'>) => <hr className="border-border" {...p} />,
  pre: ({ node: _, ...p }: Props<'pre'>) => (
    <pre
      className="overflow-x-auto rounded-md border border-border bg-panel-2 px-3 py-2 font-mono text-xs leading-snug text-fg [&>code]:border-0 [&>code]:bg-transparent [&>code]:p-0 [&>code]:text-[length:inherit]"
      {...p}
    />
  ),
  code: ({ node: _, ...p }: Props<'code'>) => (
    <code className="rounded border border-border bg-panel-2 px-1 py-px font-mono text-[0.85em]" {...p} />
  ),
  a: ({ node: _, href, children }: Props<'a'>) => {
    const target = markdownHref(href);
    // An unsafe link keeps its words and loses its destination.
    if (!target) return <span className="text-fg">{children}</span>;
    const className = 'text-accent underline decoration-accent/40 underline-offset-2 hover:decoration-accent';
    if (target.kind !== 'external') return <a href={target.href} className={className}>{children}</a>;
    return (
      <a href={target.href} className={className} target="_blank" rel="noopener noreferrer nofollow">
        {children}
        <span className="sr-only"> (opens in a new tab)</span>
      </a>
    );
  },
  // No remote images in a shared note: they would track readers and the CSP blocks them anyway.
  img: ({ alt }: Props<'img'>) => <span className="text-muted italic">[image{alt ? `: ${alt}` : ''}]</span>,
};

/**
 * Markdown from a shared incident's notes or a flow comment. Raw HTML shows as text, links go
 * only to http(s), mail or this site, and external ones open with rel="noopener noreferrer
 * nofollow". Renders on the server or the client (no hooks).
 */
export function Markdown({ text, className = '' }: { text: string; className?: string }) {
  return (
    <div className={`min-w-0 space-y-3 text-sm leading-relaxed text-fg [overflow-wrap:anywhere] ${className}`}>
      <ReactMarkdown
        allowedElements={ALLOWED_ELEMENTS}
        unwrapDisallowed
        urlTransform={urlTransform}
        components={COMPONENTS}
      >
        {text}
      </ReactMarkdown>
    </div>
  );
}
