/**
 * The MTU arithmetic of one packet on one overlay: how many bytes the overlay puts in front of
 * the inner IP packet, so how large an inner packet the underlay can carry, and whether this
 * one fits.
 *
 * An MTU counts IP bytes: the link header in front of the IP header is not part of it. So the
 * overhead is measured from the outer IP header to the inner IP header. For VXLAN that is the
 * outer IPv4 20 + UDP 8 + VXLAN 8 + the inner frame's Ethernet header 14 (it rides inside the
 * UDP payload) = 50 bytes on top of the inner IP packet, and the inner IP MTU is 1500 − 50 =
 * 1450; the outer Ethernet header (also 14, which is why the captured frame grows by 50 too) is
 * outside both MTUs. flannel's UDP backend sends the bare IP packet: IPv4 20 + UDP 8 = 28
 * (1472). IP-in-IP: the outer IPv4 20 (1480). Geneve: like VXLAN plus its options.
 */
import { fieldNumber, fieldOf } from './anatomy';
import type { Anatomy, AnatomyLayer, MtuArithmetic } from './types';
import { IPIP, UNDERLAY_MTU, overlay as overlaySpec, overlayOfLayer, type OverlayKind } from '../protocols/overlays';

export type Overlay = OverlayKind;

function isIp(l: AnatomyLayer | undefined): l is AnatomyLayer {
  return l !== undefined && (l.kind === 'ipv4' || l.kind === 'ipv6');
}

/** An IP packet's length as declared; from the capture for TSO/GSO packets that declare 0. */
function ipLength(a: Anatomy, ip: AnatomyLayer): number {
  const declared = ip.kind === 'ipv4' ? fieldNumber(ip, 'totalLength') : fieldNumber(ip, 'payloadLength');
  if (declared === undefined || declared === 0) return Math.max(a.origLen, a.capLen) - ip.offset;
  return ip.kind === 'ipv4' ? declared : 40 + declared;
}

interface Tunnel {
  overlay: Overlay;
  outer: AnatomyLayer;
  inner: AnatomyLayer | undefined;
  between: AnatomyLayer[];
}

/** The outermost overlay in the packet's own headers (not in a quoted datagram). */
function findTunnel(a: Anatomy): Tunnel | undefined {
  const ls = a.layers.filter((l) => !l.quoted);
  for (let i = 0; i < ls.length; i++) {
    const l = ls[i]!;
    let overlay: Overlay | undefined;
    let outerAt = -1;
    const spec = overlayOfLayer(l.kind);
    if (spec) {
      overlay = spec.kind;
      for (let j = i - 1; j >= 0; j--) {
        if (isIp(ls[j])) {
          outerAt = j;
          break;
        }
      }
    } else if (isIp(l) && isIp(ls[i + 1])) {
      overlay = IPIP.kind;
      outerAt = i;
    }
    if (overlay === undefined || outerAt < 0) continue;
    let innerAt = -1;
    for (let j = i + 1; j < ls.length; j++) {
      if (isIp(ls[j])) {
        innerAt = j;
        break;
      }
    }
    const end = innerAt >= 0 ? innerAt : ls.length;
    return { overlay, outer: ls[outerAt]!, inner: innerAt >= 0 ? ls[innerAt] : undefined, between: ls.slice(outerAt, end) };
  }
  return undefined;
}

function partsOf(t: Tunnel): { title: string; length: number }[] {
  const top = t.outer.depth;
  return t.between
    .filter((l) => l.length > 0)
    .map((l, i) => ({ title: i === 0 ? `outer ${l.title}` : l.depth > top ? `inner ${l.title}` : l.title, length: l.length }));
}

/**
 * The MTU arithmetic of `anatomy`'s packet. An encapsulated packet (captured on the underlay)
 * gives its overlay and overhead from its own headers; a packet captured before encapsulation
 * or after decapsulation (on a pod veth, cni0, flannel.1) carries no trace of the overlay, so
 * pass `overlay` to get the nominal overhead over an IPv4 underlay, and `seen`, the overhead
 * measured on the same packet where it was captured encapsulated (an IPv6 underlay adds 70, not
 * 50), when there is one. A packet with no overlay and none given is checked against the
 * underlay MTU alone.
 */
export function mtuArithmetic(anatomy: Anatomy, underlayMtu = UNDERLAY_MTU, overlay?: Overlay, seen?: readonly { title: string; length: number }[]): MtuArithmetic {
  const tunnel = findTunnel(anatomy);
  let kind: MtuArithmetic['overlay'] = 'none';
  let parts: { title: string; length: number }[] = [];
  let inner: AnatomyLayer | undefined;
  let measured = false;
  if (tunnel !== undefined) {
    kind = tunnel.overlay;
    parts = partsOf(tunnel);
    inner = tunnel.inner;
    measured = true;
  } else {
    inner = anatomy.layers.find((l) => isIp(l) && !l.quoted);
    if (overlay !== undefined) {
      kind = overlay;
      parts = [...(seen ?? overlaySpec(overlay).overhead)];
    }
  }
  const overhead = parts.reduce((s, p) => s + p.length, 0);
  const innerMtu = underlayMtu - overhead;
  const innerLength = inner === undefined ? 0 : ipLength(anatomy, inner);
  const total = innerLength + overhead;
  const fits = inner === undefined || total <= underlayMtu;
  const lines: string[] = [];
  const result: MtuArithmetic = { overlay: kind, overhead, underlayMtu, innerMtu, innerLength, fits, lines, parts, measured };

  if (inner === undefined) {
    lines.push(tunnel !== undefined ? `${overlaySpec(tunnel.overlay).name} headers, but the inner IP packet was not captured` : 'no IP packet: nothing to fit');
    return result;
  }
  const ipTitle = inner.title;
  const df = inner.kind === 'ipv4' ? fieldNumber(inner, 'flags.df') === 1 : true;
  const src = fieldOf(inner, 'src')?.value ?? 'the sender';
  const isTcp = anatomy.layers[anatomy.layers.indexOf(inner) + 1]?.kind === 'tcp';

  if (kind === 'none') {
    lines.push(`no overlay: ${ipTitle} ${innerLength} ${fits ? '≤' : '>'} MTU ${underlayMtu}: ${fits ? 'fits' : `${innerLength - underlayMtu} bytes too big`}`);
    if (!fits) {
      if (isTcp) lines.push(gsoLine());
      lines.push(
        inner.kind === 'ipv6'
          ? `the first link with a smaller MTU drops it and answers ICMPv6 packet too big (type 2) to ${src}`
          : df
            ? `DF is set: the first router whose link is smaller drops it and answers ICMP frag-needed (type 3, code 4) to ${src}`
            : 'DF is clear: the first router whose link is smaller fragments it',
      );
    }
    return result;
  }

  const spec = overlaySpec(kind);
  const name = spec.name;
  lines.push(`${name} overhead: ${parts.map((p) => `${p.title} ${p.length}`).join(' + ')} = ${overhead} bytes in front of the inner IP packet`);
  // Measured: the packet's own headers say whether an inner frame rides inside; nominal: the overlay's usual form.
  const elsewhere = !measured && seen !== undefined;
  if (elsewhere) result.measuredElsewhere = true;
  if (measured || elsewhere ? parts.some((p) => p.title.startsWith('inner Ethernet')) : spec.inner === 'ethernet') {
    lines.push("an MTU counts IP bytes: the outer Ethernet header is outside it, the inner frame's Ethernet header rides inside the UDP payload and counts");
  }
  if (elsewhere) lines.push(`(as measured where this packet was captured encapsulated: this capture point sees it without its ${name} headers)`);
  else if (!measured) lines.push(`(nominal, over an IPv4 underlay: this capture point sees the packet without its ${name} headers)`);
  lines.push(`inner MTU: ${underlayMtu} − ${overhead} = ${innerMtu}, the largest inner IP packet that fits: the most ${spec.deviceText} can have as its MTU`);
  if (fits) {
    lines.push(`this packet: inner ${ipTitle} ${innerLength} + ${overhead} = ${total} ≤ ${underlayMtu}: fits`);
    return result;
  }
  lines.push(`this packet: inner ${ipTitle} ${innerLength} + ${overhead} = ${total} > ${underlayMtu}: ${total - underlayMtu} bytes too big for the underlay`);
  lines.push(`it does not fit where it enters the tunnel: ${spec.deviceText}, MTU ${innerMtu}, on the node that encapsulates it`);
  if (inner.kind === 'ipv6') {
    lines.push(
      `IPv6 is never fragmented on the way: that node drops it and answers ICMPv6 packet too big (type 2, MTU ${innerMtu}) to ${src}; if that ICMPv6 is filtered, the packet just vanishes (a PMTU black hole)`,
    );
  } else if (df) {
    lines.push(
      `DF is set, so that node drops it and answers ICMP frag-needed (type 3, code 4, next-hop MTU ${innerMtu}) to ${src}; if that ICMP is filtered, the packet just vanishes (a PMTU black hole)`,
    );
  } else {
    const ihl = (fieldNumber(inner, 'ihl') ?? 5) * 4;
    const perFragment = Math.floor((innerMtu - ihl) / 8) * 8;
    const n = perFragment > 0 ? Math.ceil((innerLength - ihl) / perFragment) : 0;
    lines.push(`DF is clear, so that node fragments it into ${n} fragments of at most ${innerMtu} bytes and encapsulates each`);
  }
  if (isTcp && innerLength > underlayMtu) lines.push(gsoLine());
  if (measured) {
    lines.push(
      `yet it was captured encapsulated, ${total} bytes of outer IP: the underlay MTU is larger than ${underlayMtu}, or this is a GSO/TSO super-packet cut into segments after the capture point`,
    );
  }
  return result;
}

function gsoLine(): string {
  return 'a TCP packet larger than the MTU on a host capture is usually a GSO/TSO super-packet: the stack or the NIC cuts it into MSS-sized segments after the capture point, and only those must fit';
}
