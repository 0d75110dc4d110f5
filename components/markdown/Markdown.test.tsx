/**
 * Shared notes and comments come from whoever holds the link: they render as Markdown, never as
 * HTML, and their links go only where a reader expects. Rendered on the server (no DOM).
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Markdown, markdownHref } from './Markdown';

const render = (text: string) => renderToStaticMarkup(<Markdown text={text} />);
const hrefs = (html: string) => [...html.matchAll(/\shref="([^"]*)"/g)].map((m) => m[1]);

describe('Markdown: raw HTML is text', () => {
  it('shows a script block as escaped text and makes no script element', () => {
    const html = render('Before\n\n<script>alert(1)</script>\n\nAfter');
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<p>Before</p>');
    expect(html).toContain('<p>After</p>');
  });

  it('shows inline HTML with event handlers as text', () => {
    const html = render('look <img src=x onerror="alert(1)"> and <a href="javascript:alert(1)">me</a>');
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<a\s/i);
    expect(html).toContain('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    expect(html).toContain('&lt;a href=&quot;javascript:alert(1)&quot;&gt;');
  });

  it('makes no element for iframe, style, svg or an HTML comment', () => {
    const html = render('<iframe src="https://evil.test"></iframe>\n\n<style>body{display:none}</style>\n\n<svg onload=alert(1)>\n\n<!-- hidden -->');
    for (const tag of ['iframe', 'style', 'svg']) expect(html).not.toMatch(new RegExp(`<${tag}`, 'i'));
    expect(html).toContain('&lt;iframe');
    expect(html).toContain('&lt;!-- hidden --&gt;');
  });
});

describe('Markdown: links', () => {
  it('never turns javascript:, data: or vbscript: into an href, however it is spelt', () => {
    const html = render(
      [
        '[a](javascript:alert(1))',
        '[b](JaVaScRiPt:alert(1))',
        '[c](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
        '[d](vbscript:msgbox)',
        '<javascript:alert(1)>',
        '[e](&#106;avascript:alert(1))',
        '[f]( javascript:alert(1))',
        '[g][ref]',
        '',
        '[ref]: javascript:alert(1)',
      ].join('\n\n'),
    );
    expect(hrefs(html)).toEqual([]);
    expect(html).not.toMatch(/<a[\s>]/);
    // The words stay; only the destination goes.
    for (const word of ['>a<', '>b<', '>c<', '>d<', '>e<', '>f<', '>g<']) expect(html).toContain(word);
  });

  it('opens http(s) links in a new tab with noopener noreferrer nofollow', () => {
    const html = render('See [the runbook](https://wiki.example.com/vxlan?x=1#mtu) and <http://10.0.0.1:8080/>.');
    expect(hrefs(html)).toEqual(['https://wiki.example.com/vxlan?x=1#mtu', 'http://10.0.0.1:8080/']);
    expect(html.match(/rel="noopener noreferrer nofollow"/g)).toHaveLength(2);
    expect(html.match(/target="_blank"/g)).toHaveLength(2);
  });

  it('treats //host as external, not as this site', () => {
    const html = render('[a](//evil.test/x) [b](/\\evil.test/y)');
    // micromark percent-encodes the backslash, so /\host stays a path on this site.
    expect(hrefs(html)).toEqual(['https://evil.test/x', '/%5Cevil.test/y']);
    expect(html.match(/rel="noopener noreferrer nofollow"/g)).toHaveLength(1);
  });

  it('keeps links within the site relative and in the same tab, and mailto as mail', () => {
    const html = render('[sample](/?sample=vxlan-forward-drop) [flow](#flow-3) [oncall](mailto:noc@example.com)');
    expect(hrefs(html)).toEqual(['/?sample=vxlan-forward-drop', '#flow-3', 'mailto:noc@example.com']);
    expect(html).not.toContain('target=');
  });

  it('shows an image as its alt text and loads nothing', () => {
    const html = render('![tcpdump output](https://tracker.example/pixel.png)');
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain('tracker.example');
    expect(html).toContain('[image: tcpdump output]');
  });

  it('classifies destinations the way a browser resolves them', () => {
    expect(markdownHref('https://a.example/')).toEqual({ kind: 'external', href: 'https://a.example/' });
    expect(markdownHref('incident/abc')).toEqual({ kind: 'internal', href: 'incident/abc' });
    expect(markdownHref('/\\evil.test/y')).toEqual({ kind: 'external', href: 'https://evil.test/y' });
    expect(markdownHref('java\tscript:alert(1)')).toBeNull();
    expect(markdownHref('\u0001javascript:alert(1)')).toBeNull();
    expect(markdownHref('data:image/png;base64,AAAA')).toBeNull();
    expect(markdownHref('file:///etc/passwd')).toBeNull();
    expect(markdownHref('')).toBeNull();
    expect(markdownHref(undefined)).toBeNull();
  });
});

describe('Markdown: what engineers write', () => {
  it('renders headings one level under the page sections', () => {
    const html = render('# Summary\n\n## Timeline\n\n### Detail');
    expect(html).toMatch(/<h3[^>]*>Summary<\/h3>/);
    expect(html).toMatch(/<h4[^>]*>Timeline<\/h4>/);
    expect(html).toMatch(/<h5[^>]*>Detail<\/h5>/);
    expect(html).not.toMatch(/<h1|<h2/);
  });

  it('renders bullet, numbered and nested lists', () => {
    const html = render('- node1 eth0\n- node2 eth0\n  1. vxlan.calico\n  2. cali123\n\n3. third\n4. fourth');
    expect(html).toMatch(/<ul[^>]*>\s*<li[^>]*>node1 eth0<\/li>/);
    expect(html).toMatch(/<li[^>]*>node2 eth0\s*<ol[^>]*>\s*<li[^>]*>vxlan\.calico<\/li>/);
    expect(html).toMatch(/<ol[^>]* start="3">\s*<li[^>]*>third<\/li>/);
    expect(html.match(/<li/g)).toHaveLength(6);
  });

  it('renders code spans and fenced blocks in monospace, with markup inside shown as text', () => {
    const html = render('Run `tcpdump -i eth0 udp port 4789`:\n\n```sh\nip link show vxlan.calico\n<script>x</script>\n```');
    expect(html).toMatch(/<code class="[^"]*font-mono[^"]*">tcpdump -i eth0 udp port 4789<\/code>/);
    expect(html).toMatch(/<pre class="[^"]*font-mono[^"]*"><code class="[^"]*language-sh[^"]*">ip link show vxlan\.calico\n&lt;script&gt;x&lt;\/script&gt;\n<\/code><\/pre>/);
  });

  it('renders emphasis, strong, blockquotes and rules', () => {
    const html = render('*MTU* is **1450** on the overlay\n\n> the reply never left node2\n\n---');
    expect(html).toContain('<em>MTU</em>');
    expect(html).toContain('<strong>1450</strong>');
    expect(html).toMatch(/<blockquote[^>]*>\s*<p>the reply never left node2<\/p>\s*<\/blockquote>/);
    expect(html).toMatch(/<hr[^>]*\/>/);
  });

  it('styles with theme tokens only, so both themes read', () => {
    const html = render('# h\n\n`c`\n\n[l](https://x.example)\n\n> q');
    const classes = [...html.matchAll(/class="([^"]*)"/g)].flatMap((m) => m[1]!.split(/\s+/));
    // Fixed palette colours (text-gray-700, bg-white…) would break one theme or the other.
    expect(classes.filter((c) => /(^|:)(text|bg|border|decoration)-(white|black|gray|slate|zinc|neutral|stone|blue|red)/.test(c))).toEqual([]);
    expect(classes).toContain('text-accent');
    expect(classes).toContain('bg-panel-2');
  });

  it('renders empty text as an empty container', () => {
    expect(render('')).toMatch(/^<div class="[^"]*"><\/div>$/);
  });
});
