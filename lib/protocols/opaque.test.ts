import { describe, expect, it } from 'vitest';
import { hex } from '../testing/hex';
import { OPAQUE_TUNNELS, opaqueTunnel, overlayWithOpaqueInner } from './opaque';

const ETH = '020000000002 020000000001 0800';
const INNER_IPV4_ICMP = '45000020 00010000 400161f0 0af40102 0af40203 0800 2104 1234 0001 61626364';

/**
 * Ethernet[IPv4 192.168.0.1 > .2[…]] frames, each with what tshark 4.0.17 calls it
 * (tshark -r opaque.pcap -T fields -e frame.protocols) and the tunnel it is.
 */
const FRAMES: Array<[label: string, frame: string, tshark: string, id: string | null]> = [
  ['ESP', `${ETH} 45000034 00010000 4032f943 c0a80001 c0a80002  00001001 00000001 ${'a5'.repeat(24)}`, 'eth:ethertype:ip:esp', 'esp'],
  [
    'AH, tunnel mode',
    `${ETH} 4500004c 00010000 4033f92a c0a80001 c0a80002  04 04 0000 00000100 00000001 ${'11'.repeat(12)}  ${INNER_IPV4_ICMP}`,
    'eth:ethertype:ip:ah:ip:icmp:data',
    'ah',
  ],
  ['ESP in UDP 4500', `${ETH} 4500003c 00010000 4011f95c c0a80001 c0a80002  1194 1194 0028 0000  00001001 00000002 ${'a5'.repeat(24)}`, 'eth:ethertype:ip:udp:udpencap:esp', 'esp-in-udp'],
  ['NAT-T keepalive', `${ETH} 4500001d 00010000 4011f97b c0a80001 c0a80002  1194 1194 0009 0000  ff`, 'eth:ethertype:ip:udp:udpencap', 'esp-in-udp'],
  ['IKE on 4500', `${ETH} 4500003c 00010000 4011f95c c0a80001 c0a80002  1194 1194 0028 0000  00000000 ${'22'.repeat(28)}`, 'eth:ethertype:ip:udp:udpencap:isakmp', null],
  [
    'WireGuard handshake initiation',
    `${ETH} 450000b0 00010000 4011f8e8 c0a80001 c0a80002  ca6c ca6c 009c 0000  01000000 00000001 ${'33'.repeat(140)}`,
    'eth:ethertype:ip:udp:wg',
    'wireguard',
  ],
  [
    'WireGuard transport data',
    `${ETH} 4500004c 00010000 4011f94c c0a80001 c0a80002  ca6c ca6c 0038 0000  04000000 00000001 0000000000000001 ${'44'.repeat(32)}`,
    'eth:ethertype:ip:udp:wg',
    'wireguard',
  ],
  ['OpenVPN', `${ETH} 4500002a 00010000 4011f96e c0a80001 c0a80002  04aa 04aa 0016 0000  38 0102030405060708 00 00000000`, 'eth:ethertype:ip:udp:openvpn', 'openvpn'],
  ['L2TPv2', `${ETH} 45000026 00010000 4011f972 c0a80001 c0a80002  06a5 06a5 0012 0000  0002 0001 0002 ff03 0021`, 'eth:ethertype:ip:udp:l2tp:ppp:ip', 'l2tp'],
  [
    'GTP-U',
    `${ETH} 45000044 00010000 4011f954 c0a80001 c0a80002  0868 0868 0030 0000  30 ff 0020 00000001  45000020 00020000 400161ef 0af40102 0af40203 0800 2103 1234 0002 61626364`,
    'eth:ethertype:ip:udp:gtp:ip:icmp:data',
    'gtp-u',
  ],
  ['PPTP', `${ETH} 45000028 00010000 402ff952 c0a80001 c0a80002  3081 880b 0004 0001 00000002 00000001 ff03c021`, 'eth:ethertype:ip:gre:ppp:lcp', 'pptp'],
  [
    'EtherIP',
    `${ETH} 45000044 00010000 4061f904 c0a80001 c0a80002  3000 0a580af40203 0a580af40102 0800  45000020 00030000 400161ee 0af40102 0af40203 0800 2102 1234 0003 61626364`,
    'eth:ethertype:ip:etherip:eth:ethertype:ip:icmp:data',
    'etherip',
  ],
  ['L2TPv3 over IP', `${ETH} 45000028 00010000 4073f90e c0a80001 c0a80002  00001234 ${'55'.repeat(16)}`, 'eth:ethertype:ip:l2tp:data', 'l2tpv3-ip'],
  [
    'Geneve carrying MPLS',
    `${ETH} 45000048 00010000 4011f950 c0a80001 c0a80002  9c40 17c1 0034 0000  00 00 8847 000001 00  00064140  45000020 00040000 400161ed 0af40102 0af40203 0800 2101 1234 0004 61626364`,
    'eth:ethertype:ip:udp:geneve:mpls:ip:icmp:data',
    'geneve-other',
  ],
  [
    'VXLAN-GPE carrying MPLS',
    `${ETH} 45000048 00010000 4011f950 c0a80001 c0a80002  9c40 12b6 0034 0000  0c 0000 05 000001 00  00064140  45000020 00050000 400161ec 0af40102 0af40203 0800 2100 1234 0005 61626364`,
    'eth:ethertype:ip:udp:mpls:ip:icmp:data',
    'vxlan-gpe-other',
  ],
  [
    'MPLS in GRE',
    `${ETH} 4500003c 00010000 402ff93e c0a80001 c0a80002  0000 8847 00064140  45000020 00060000 400161eb 0af40102 0af40203 0800 20ff 1234 0006 61626364`,
    'eth:ethertype:ip:gre:mpls:ip:icmp:data',
    'mpls-in-gre',
  ],
  [
    'MPLS in IP',
    `${ETH} 45000038 00010000 4089f8e8 c0a80001 c0a80002  00064140  45000020 00070000 400161ea 0af40102 0af40203 0800 20fe 1234 0007 61626364`,
    'eth:ethertype:ip:mpls:ip:icmp:data',
    'mpls-in-ip',
  ],
];

/** What the correlator has of a frame: IP protocol, UDP ports, and the payload after them. */
function carrier(frame: string): [number, number, number, Uint8Array] {
  const b = hex(frame);
  const proto = b[23]!;
  if (proto !== 17) return [proto, 0, 0, b.subarray(34)];
  return [proto, (b[34]! << 8) | b[35]!, (b[36]! << 8) | b[37]!, b.subarray(42)];
}

describe('opaque tunnels', () => {
  it('names each carrier tshark names, from its protocol, ports and bytes', () => {
    for (const [label, frame, , id] of FRAMES) {
      const [proto, sport, dport, payload] = carrier(frame);
      const m = opaqueTunnel(proto, sport, dport, payload);
      expect(m?.id ?? null, label).toBe(id);
      if (m) expect(m.confirmed, label).toBe(OPAQUE_TUNNELS.find((t) => t.id === id)!.check !== undefined);
    }
  });

  it('without the bytes, answers from the port or protocol alone, unconfirmed, and never for overlays the decoders follow', () => {
    expect(opaqueTunnel(50, 0, 0)).toEqual({ id: 'esp', name: 'IPsec ESP', confirmed: false });
    expect(opaqueTunnel(17, 41000, 51820)).toEqual({ id: 'wireguard', name: 'WireGuard', confirmed: false });
    expect(opaqueTunnel(17, 51871, 41000)?.id).toBe('wireguard');
    expect(opaqueTunnel(17, 4500, 4500)?.id).toBe('esp-in-udp');
    expect(opaqueTunnel(17, 50000, 6783)?.id).toBe('weave-sleeve');
    expect(opaqueTunnel(115, 0, 0)?.id).toBe('l2tpv3-ip');
    // GRE, Geneve and VXLAN-GPE are decoded: only their bytes can say the inside is not.
    expect(opaqueTunnel(47, 0, 0)).toBeNull();
    expect(opaqueTunnel(17, 40000, 6081)).toBeNull();
    expect(opaqueTunnel(17, 40000, 4790)).toBeNull();
    // Ordinary traffic.
    for (const [p, s, d] of [[6, 40000, 443], [17, 40000, 53], [17, 8472, 8472], [1, 0, 0], [4, 0, 0]] as const) expect(opaqueTunnel(p, s, d), `${p} ${s} ${d}`).toBeNull();
  });

  it('checks the bytes strictly', () => {
    const wg = (b: string) => opaqueTunnel(17, 51820, 51820, hex(b));
    expect(wg(`01000000 ${'00'.repeat(144)}`)?.id).toBe('wireguard');
    expect(wg(`01000000 ${'00'.repeat(140)}`)).toBeNull(); // an initiation is 148 bytes
    expect(wg(`02000000 ${'00'.repeat(88)}`)?.id).toBe('wireguard');
    expect(wg(`03000000 ${'00'.repeat(60)}`)?.id).toBe('wireguard');
    expect(wg(`04000000 ${'00'.repeat(28)}`)?.id).toBe('wireguard'); // a keepalive
    expect(wg(`04000000 ${'00'.repeat(29)}`)).toBeNull();
    expect(wg(`04010000 ${'00'.repeat(28)}`)).toBeNull(); // reserved bytes
    expect(wg(`05000000 ${'00'.repeat(28)}`)).toBeNull();
    expect(opaqueTunnel(50, 0, 0, hex('00000000 00000001 00000000'))).toBeNull(); // SPI 0 is never sent
    expect(opaqueTunnel(51, 0, 0, hex('06 04 0000 00000100 00000001 000000000000000000000000'))).toBeNull(); // transport mode
    expect(opaqueTunnel(17, 1701, 1701, hex('c002 0000 0001 0002'))).toBeNull(); // control message without S
    expect(opaqueTunnel(17, 1701, 1701, hex('c802 0000 0001 0002 0000 0000'))?.id).toBe('l2tp');
    expect(opaqueTunnel(17, 2152, 2152, hex('30 ff 0021 00000001 00'))).toBeNull(); // length one too many
    expect(opaqueTunnel(17, 1194, 1194, hex('00 0102030405060708'))).toBeNull(); // opcode 0
    expect(opaqueTunnel(17, 40000, 6081, hex('00 00 6558 000001 00'))).toBeNull(); // Geneve with Ethernet: decoded
    expect(opaqueTunnel(17, 40000, 4790, hex('0c 0000 04 000001 00'))).toBeNull(); // VXLAN-GPE with NSH: decoded
  });

  it('names the overlay a stack stops inside', () => {
    expect(overlayWithOpaqueInner(['ethernet', 'ipv4', 'udp', 'geneve', 'payload'])?.kind).toBe('geneve');
    expect(overlayWithOpaqueInner(['ethernet', 'ipv4', 'gre', 'payload'])?.kind).toBe('gre');
    expect(overlayWithOpaqueInner(['ethernet', 'ipv4', 'udp', 'vxlan-gpe', 'undecoded'])?.kind).toBe('vxlan-gpe');
    expect(overlayWithOpaqueInner(['ethernet', 'ipv4', 'udp', 'vxlan', 'ethernet', 'ipv4', 'icmp', 'payload'])).toBeNull();
    expect(overlayWithOpaqueInner(['ethernet', 'ipv4', 'udp', 'payload'])).toBeNull();
    expect(overlayWithOpaqueInner(['ethernet', 'ipv4', 'udp', 'geneve'])).toBeNull();
  });

  it('keeps one entry per id, each reachable by a protocol or a port', () => {
    const ids = OPAQUE_TUNNELS.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const t of OPAQUE_TUNNELS) expect(t.ipProtocols.length + t.udpPorts.length, t.id).toBeGreaterThan(0);
  });
});
