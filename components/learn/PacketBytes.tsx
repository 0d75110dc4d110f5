'use client';

import type { ByteSegment, LayerRole } from '@/lib/learn/byte-view';

/** A 3-letter tag per role, printed on each layer so colour is never the only cue. */
export const ROLE_TAG: Record<LayerRole, string> = {
  link: 'L2',
  ip: 'IP',
  udp: 'UDP',
  transport: 'L4',
  tunnel: 'TUN',
  icmp: 'ICMP',
  data: 'DATA',
  quoted: 'QUOTE',
};

/** "0a 1b 2c" for bytes [from, from+length) of a packet given as one hex string. */
function hexText(hex: string, from: number, length: number): string {
  return (hex.slice(from * 2, (from + length) * 2).match(/../g) ?? []).join(' ');
}

/**
 * The packet's bytes in hex, cut into its layers: each layer a box with its name, its byte
 * range and its bytes, outer first. The boxes wrap like text, so a 148-byte VXLAN packet reads
 * as four outer headers followed by the frame it carries.
 */
export function PacketBytes({
  hex,
  segments,
  focus,
  testId = 'packet-hex',
}: {
  hex: string;
  segments: ByteSegment[];
  focus?: LayerRole[];
  testId?: string;
}) {
  const encap = segments.some((s) => s.depth > 0);
  return (
    <div data-testid={testId} data-length={hex.length / 2} className="flex flex-wrap items-start gap-1.5 font-mono text-[12px] leading-5">
      {segments.map((s) => (
        <div
          key={s.offset}
          className="learn-seg max-w-full px-1.5 pt-0.5 pb-1"
          data-role={s.role}
          data-depth={Math.min(s.depth, 1)}
          data-encap={encap}
          data-focus={focus ? focus.includes(s.role) : undefined}
          style={{ flexBasis: s.length > 24 ? '100%' : undefined }}
        >
          <div className="learn-seg-label flex items-baseline gap-1.5 font-sans text-[11px] font-semibold whitespace-nowrap">
            <span className="rounded-sm border border-current px-0.5 text-[9px] leading-3 tracking-wide">{ROLE_TAG[s.role]}</span>
            <span>{s.label}</span>
            <span className="font-normal opacity-80">
              {s.length} B · {s.offset}–{s.offset + s.length - 1}
            </span>
          </div>
          <div className="learn-hex-bytes break-words text-fg">{hexText(hex, s.offset, s.length)}</div>
        </div>
      ))}
    </div>
  );
}

/** The layer stack as a table: name, bytes, key fields. */
export function LayerTable({ segments, testId = 'layer-stack' }: { segments: ByteSegment[]; testId?: string }) {
  const encap = segments.some((s) => s.depth > 0);
  return (
    <table data-testid={testId} className="w-full border-collapse text-left text-xs">
      <caption className="sr-only">Layers of the packet, outermost first</caption>
      <thead>
        <tr className="border-b border-border text-muted">
          <th scope="col" className="py-1 pr-2 font-medium">Layer</th>
          <th scope="col" className="py-1 pr-2 font-medium">Bytes</th>
          <th scope="col" className="py-1 font-medium">Fields</th>
        </tr>
      </thead>
      <tbody>
        {segments
          .filter((s) => s.role !== 'data')
          .map((s) => (
            <tr key={s.offset} className="border-b border-border/60 align-top">
              <th scope="row" className="py-1 pr-2 font-medium whitespace-nowrap">
                <span className="learn-seg learn-swatch mr-1.5" data-role={s.role} data-depth={Math.min(s.depth, 1)} data-encap={encap} aria-hidden />
                {s.label}
              </th>
              <td className="py-1 pr-2 font-mono whitespace-nowrap">{s.length}</td>
              <td className="py-1 font-mono text-[11px] text-muted">
                {s.fields.map((f) => (
                  <span key={f.name} className="mr-3 inline-block">
                    {f.name} <span className="text-fg">{f.value}</span>
                  </span>
                ))}
              </td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}
