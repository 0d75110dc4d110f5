/**
 * Bytes from a hex literal laid out like a protocol diagram: whitespace, `|` separators and
 * `#` comments to the end of a line are ignored.
 */
export function hex(s: string): Uint8Array {
  const clean = s.replace(/#[^\n]*/g, '').replace(/[\s|]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex fixture: ${clean}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Ethernet[IPv4[UDP 8472[VXLAN VNI 1[Ethernet[IPv4[ICMP echo id 0x1234 seq 7 + 4 bytes]]]]]]
 * node1 (192.168.56.11) → node2, pod 10.244.1.8 → pod 10.244.2.4: a flannel VXLAN ping.
 */
export const VXLAN_ICMP_FRAME = hex(`
  02 00 00 00 00 02  02 00 00 00 00 01  08 00                      # outer Ethernet
  45 00 00 52 00 01 00 00 40 11 00 00  c0 a8 38 0b  c0 a8 38 0c    # outer IPv4, total 82
  9c 40 21 18 00 3e 00 00                                          # UDP 40000 → 8472, length 62
  08 00 00 00 00 00 01 00                                          # VXLAN, I flag, VNI 1
  0a 00 00 00 00 02  0a 00 00 00 00 01  08 00                      # inner Ethernet
  45 00 00 20 ab cd 40 00 3f 01 00 00  0a f4 01 08  0a f4 02 04    # inner IPv4, id 0xabcd, TTL 63
  08 00 00 00 12 34 00 07  de ad be ef                             # ICMP echo request`);
