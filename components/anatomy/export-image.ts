/**
 * The anatomy SVG as a file that stands alone: every colour the page gets from CSS variables and
 * classes is resolved and written inline, so it looks the same in a slide deck, an editor or an
 * <img>. The PNG is that SVG drawn on a canvas through a blob: URL (the page's CSP allows
 * img-src blob:).
 */

/** Properties that decide how the anatomy looks; everything else is left to the defaults. */
const STYLE_PROPS = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-opacity',
  'stroke-linecap',
  'stroke-dasharray',
  'opacity',
  'font-family',
  'font-size',
  'font-weight',
  'text-anchor',
  'dominant-baseline',
] as const;

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Attributes for the page only: interaction and test hooks. */
const DROP_ATTRS = ['class', 'tabindex', 'role', 'aria-pressed', 'aria-label', 'data-testid'];

export function standaloneSvg(svg: SVGSVGElement, background: string | null): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const from = [svg, ...svg.querySelectorAll('*')];
  const to = [clone, ...clone.querySelectorAll('*')];
  const skip: Element[] = [];
  const computed = new Map<Element, CSSStyleDeclaration>();
  from.forEach((el, i) => {
    const out = to[i];
    if (!out) return;
    // What the pointer or the keyboard was on is not part of the packet.
    if (el.getAttribute('data-export') === 'skip') skip.push(out);
    const cs = getComputedStyle(el);
    computed.set(el, cs);
    // What the parent already says is inherited: only the differences are written.
    const parent = el === svg ? undefined : computed.get(el.parentElement!);
    const style = STYLE_PROPS.map((p) => {
      const v = cs.getPropertyValue(p);
      return v && v !== parent?.getPropertyValue(p) ? `${p}:${v}` : '';
    })
      .filter(Boolean)
      .join(';');
    // A pattern fill stays a reference to the pattern inside this same file.
    if (style) out.setAttribute('style', style);
    else out.removeAttribute('style');
    for (const a of DROP_ATTRS) out.removeAttribute(a);
    for (const a of [...out.attributes]) if (a.name.startsWith('data-')) out.removeAttribute(a.name);
  });
  for (const n of skip) n.remove();
  clone.setAttribute('xmlns', SVG_NS);
  clone.setAttribute('version', '1.1');
  clone.removeAttribute('class');
  const width = Number(svg.getAttribute('width'));
  const height = Number(svg.getAttribute('height'));
  const pad = 12;
  clone.setAttribute('width', String(width + 2 * pad));
  clone.setAttribute('height', String(height + 2 * pad));
  clone.setAttribute('viewBox', `${-pad} ${-pad} ${width + 2 * pad} ${height + 2 * pad}`);
  if (background) {
    const bg = document.createElementNS(SVG_NS, 'rect');
    bg.setAttribute('x', String(-pad));
    bg.setAttribute('y', String(-pad));
    bg.setAttribute('width', String(width + 2 * pad));
    bg.setAttribute('height', String(height + 2 * pad));
    bg.setAttribute('style', `fill:${background}`);
    const defs = clone.querySelector('defs');
    clone.insertBefore(bg, defs ? defs.nextSibling : clone.firstChild);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(clone)}`;
}

/** Draws `svgText` on a canvas at `scale` and returns it as a PNG. */
export async function svgToPng(svgText: string, scale = 2): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svgText], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.decoding = 'async';
    const loaded = new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error('the SVG could not be drawn as an image'));
    });
    img.src = url;
    await loaded;
    const canvas = document.createElement('canvas');
    canvas.width = Math.ceil(img.naturalWidth * scale);
    canvas.height = Math.ceil(img.naturalHeight * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas in this browser');
    ctx.scale(scale, scale);
    ctx.drawImage(img, 0, 0);
    return await new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the canvas gave no PNG'))), 'image/png'));
  } finally {
    URL.revokeObjectURL(url);
  }
}
