/**
 * Hand-made Ethernet/IPv4/TCP|UDP|ICMP frames for tests that need a situation the lab cannot
 * produce on virtual devices (a NIC cutting a TSO super-segment into wire-sized ones).
 * Checksums are left 0, as the sending host's capture shows them with checksum offload.
 */
export interface FrameSpec {
  src: string;
  dst: string;
  proto: 'tcp' | 'udp' | 'icmp';
  ttl?: number;
  ipId: number;
  df?: boolean;
  sport?: number;
  dport?: number;
  seq?: number;
  ack?: number;
  /** TCP flags byte: SYN 0x02, ACK 0x10, PSH 0x08, FIN 0x01, RST 0x04. */
  flags?: number;
  /** ICMP type/code/id/seq. */
  icmp?: { type: number; code: number; id: number; seq: number };
  payload?: Uint8Array;
}

const ip4 = (a: string) => a.split('.').map((x) => Number(x));

export function frame(f: FrameSpec): Uint8Array {
  const payload = f.payload ?? new Uint8Array(0);
  const l4 = f.proto === 'tcp' ? 20 : 8;
  const total = 20 + l4 + payload.length;
  const b = new Uint8Array(14 + total);
  b.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00], 0);
  const ip = 14;
  b.set([0x45, 0, total >> 8, total & 255, f.ipId >> 8, f.ipId & 255, f.df === false ? 0 : 0x40, 0, f.ttl ?? 64, f.proto === 'tcp' ? 6 : f.proto === 'udp' ? 17 : 1, 0, 0], ip);
  b.set(ip4(f.src), ip + 12);
  b.set(ip4(f.dst), ip + 16);
  const t = ip + 20;
  const dv = new DataView(b.buffer);
  if (f.proto === 'tcp') {
    dv.setUint16(t, f.sport ?? 0);
    dv.setUint16(t + 2, f.dport ?? 0);
    dv.setUint32(t + 4, f.seq ?? 0);
    dv.setUint32(t + 8, f.ack ?? 0);
    b[t + 12] = 5 << 4;
    b[t + 13] = f.flags ?? 0x10;
    dv.setUint16(t + 14, 64240);
  } else if (f.proto === 'udp') {
    dv.setUint16(t, f.sport ?? 0);
    dv.setUint16(t + 2, f.dport ?? 0);
    dv.setUint16(t + 4, 8 + payload.length);
  } else {
    const i = f.icmp ?? { type: 8, code: 0, id: 1, seq: 1 };
    b[t] = i.type;
    b[t + 1] = i.code;
    dv.setUint16(t + 4, i.id);
    dv.setUint16(t + 6, i.seq);
  }
  b.set(payload, t + l4);
  return b;
}

/** Payload bytes that differ from segment to segment, like real data. */
export function bytes(n: number, seed: number): Uint8Array {
  let x = seed >>> 0 || 1;
  return Uint8Array.from({ length: n }, () => ((x = Math.imul(x ^ (x >>> 13), 0x5bd1e995) >>> 0) >>> 24));
}

/**
 * A LINUX_SLL2 header (`tcpdump -i any`, link type 276) for an IPv4 packet: protocol, reserved,
 * interface index, ARPHRD_ETHER, packet type (0 to us, 4 outgoing), address length 6, address.
 */
export function sll2Header(protocol: number, ifindex = 3, packetType = 4): Uint8Array {
  const h = new Uint8Array(20);
  const v = new DataView(h.buffer);
  v.setUint16(0, protocol);
  v.setUint32(4, ifindex);
  v.setUint16(8, 1);
  h[10] = packetType;
  h[11] = 6;
  h.set([0x08, 0x00, 0x27, 0x8e, 0x21, 0xf4], 12);
  return h;
}
