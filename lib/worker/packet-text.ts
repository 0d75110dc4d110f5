/**
 * Short texts for one packet: the info column of the packet list and one line per layer of a
 * decoded packet. Pure, so the worker and the tests share them.
 */
import type { Layer } from '../decode/decode-packet';
import { LAYERS } from '../protocols/layers';
import { overlayOfLayer } from '../protocols/overlays';

/** An overlay header's line: its name and segment id ("VXLAN VNI 1", "GRE key 7", "GRE"). */
function overlayLine(l: Layer): string {
  const id = overlayOfLayer(l.kind)?.id;
  const value = id ? (l as unknown as Record<string, unknown>)[id.field] : undefined;
  return `${LAYERS[l.kind].title}${typeof value === 'number' ? ` ${id!.label} ${value}` : ''}`;
}

const TCP_FLAG_NAMES: [number, string][] = [
  [0x02, 'SYN'],
  [0x10, 'ACK'],
  [0x08, 'PSH'],
  [0x01, 'FIN'],
  [0x04, 'RST'],
  [0x20, 'URG'],
  [0x40, 'ECE'],
  [0x80, 'CWR'],
];

export function tcpFlagsText(flags: number): string {
  const names = TCP_FLAG_NAMES.filter(([bit]) => (flags & bit) !== 0).map(([, n]) => n);
  return names.length > 0 ? names.join(', ') : 'none';
}

const ICMP_TYPES: Record<number, string> = {
  0: 'echo reply',
  3: 'destination unreachable',
  5: 'redirect',
  8: 'echo request',
  11: 'time exceeded',
  12: 'parameter problem',
};

const ICMPV6_TYPES: Record<number, string> = {
  1: 'destination unreachable',
  2: 'packet too big',
  3: 'time exceeded',
  4: 'parameter problem',
  128: 'echo request',
  129: 'echo reply',
  133: 'router solicitation',
  134: 'router advertisement',
  135: 'neighbor solicitation',
  136: 'neighbor advertisement',
};

export function icmpTypeText(type: number, code: number, v6 = false): string {
  const name = (v6 ? ICMPV6_TYPES : ICMP_TYPES)[type];
  if (!name) return `type ${type} code ${code}`;
  return code === 0 ? name : `${name} (code ${code})`;
}

export const PROTOCOL_NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6' };

/**
 * The info column from what the index keeps of the innermost packet: for ICMP echo the index
 * holds the identifier in `sport` and type<<8|code in `dport` (see PacketRow).
 */
export function packetInfo(p: { proto: number; sport: number; dport: number; seq: number; ack: number; tcpFlags: number; ipLen: number }): string {
  switch (p.proto) {
    case 1:
    case 58: {
      const type = p.dport >> 8;
      const code = p.dport & 0xff;
      const text = icmpTypeText(type, code, p.proto === 58);
      const echo = p.proto === 1 ? type === 0 || type === 8 : type === 128 || type === 129;
      return echo ? `${text} id=${p.sport} seq=${p.seq}` : text;
    }
    case 6:
      return `[${tcpFlagsText(p.tcpFlags)}] seq=${p.seq >>> 0}${(p.tcpFlags & 0x10) !== 0 ? ` ack=${p.ack >>> 0}` : ''}`;
    case 17:
      return `${p.sport} → ${p.dport}`;
    default:
      return `IP protocol ${p.proto}`;
  }
}

/** One line per layer, outer to inner: what Wireshark's detail tree shows collapsed. */
export function layerLines(layers: readonly Layer[]): string[] {
  return layers.map((l) => {
    switch (l.kind) {
      case 'ethernet':
        return `Ethernet ${l.src} → ${l.dst}`;
      case 'vlan':
        return `802.1Q VLAN ${l.id}`;
      case 'sll':
        return `Linux cooked (packet type ${l.packetType})`;
      case 'sll2':
        return `Linux cooked v2, ifindex ${l.interfaceIndex} (packet type ${l.packetType})`;
      case 'loopback':
        return `Loopback (family ${l.family})`;
      case 'arp':
        return `ARP ${l.opcode === 1 ? 'who has' : 'reply'} ${l.targetProtocolAddress} (from ${l.senderProtocolAddress})`;
      case 'ipv4':
        return `IPv4 ${l.src} → ${l.dst}, ttl ${l.ttl}, id 0x${l.id.toString(16).padStart(4, '0')}, len ${l.totalLength}${l.dontFragment ? ', DF' : ''}${l.moreFragments || l.fragmentOffset > 0 ? `, fragment @${l.fragmentOffset * 8}` : ''}`;
      case 'ipv6':
        return `IPv6 ${l.src} → ${l.dst}, hop limit ${l.hopLimit}, payload ${l.payloadLength}`;
      case 'udp':
        return `UDP ${l.srcPort} → ${l.dstPort}, len ${l.length}`;
      case 'tcp':
        return `TCP ${l.srcPort} → ${l.dstPort} [${tcpFlagsText(l.flags)}] seq=${l.seq} ack=${l.ack} win=${l.window}`;
      case 'icmp':
        return `ICMP ${icmpTypeText(l.type, l.code)}${l.identifier !== undefined ? ` id=${l.identifier} seq=${l.sequence}` : ''}${l.nextHopMtu ? `, next-hop MTU ${l.nextHopMtu}` : ''}`;
      case 'icmpv6':
        return `ICMPv6 ${icmpTypeText(l.type, l.code, true)}${l.identifier !== undefined ? ` id=${l.identifier} seq=${l.sequence}` : ''}${l.mtu ? `, MTU ${l.mtu}` : ''}`;
      case 'flannel-udp':
        return 'flannel UDP encapsulation';
      case 'payload':
        return `Data (${l.payload.length} bytes)`;
      case 'undecoded':
        return `Not decoded (${l.reason}, ${l.payload.length} bytes)`;
      default:
        return overlayLine(l);
    }
  });
}
