/**
 * A packet's identity and direction votes (identity.ts). The identity is the key that finds one
 * packet at every capture point of an incident, so it must survive what the overlay does to a
 * packet on its way (DNAT to a pod, SNAT or MASQUERADE of its source, a TTL spent per hop, a
 * VXLAN wrapper) and the forms a capture gives it (a GSO super-segment, a snap length that cut
 * it): otherwise one packet becomes two and the correlator reports a loss. And it must tell apart
 * packets that merely look alike, or two become one and a real loss is hidden. The votes say
 * which end of a flow asked, from the packet alone.
 */
import { describe, expect, it } from 'vitest';
import { CUT_DIGEST, CUT_TCP_FLAGS, emptyRow, META_ENCAPSULATED, type PacketRow } from '../decode/packet-index';
import { TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../protocols/numbers';
import { mulberry32 } from '../util/prng';
import { directionVote, identityHi, identityLo, portVote } from './identity';

const [ICMP, TCP, UDP, ICMPV6] = [1, 6, 17, 58];
const row = (fields: Partial<PacketRow>): PacketRow => ({ ...emptyRow(), ...fields });
const identity = (r: PacketRow, leftOut = 0) => [identityHi(r, leftOut), identityLo(r, leftOut)];

const rand = mulberry32(0x5eed);
const u16 = () => Math.floor(rand() * 0x10000);
const u32 = () => Math.floor(rand() * 0x1_0000_0000);

/** A random packet as a pod (10.244.1.5) sends it to a service VIP (10.96.0.10). */
function sent(proto: number): PacketRow {
  const r = row({ proto, src: 0x0af40105, dst: 0x0a60000a, ttl: 64, ipId: u16(), ipLen: 40 + (u16() % 1400), digest: u16() });
  if (proto === TCP) Object.assign(r, { sport: 32768 + (u16() % 28000), dport: 80, seq: u32(), ack: u32(), tcpFlags: TCP_ACK });
  else if (proto === UDP) Object.assign(r, { sport: 32768 + (u16() % 28000), dport: 53 });
  else Object.assign(r, { sport: u16(), dport: (proto === ICMP ? 8 : 128) << 8, seq: u16() });
  return r;
}

/** The same packet on another node: DNATed to a pod, MASQUERADEd, two hops on, in a VXLAN wrapper. */
function elsewhere(r: PacketRow): PacketRow {
  const icmp = r.proto === ICMP || r.proto === ICMPV6;
  return {
    ...r,
    src: 0x0a000002,
    dst: 0x0af4020b,
    // MASQUERADE rewrites the echo identifier as it does a source port; the type stays.
    sport: icmp ? r.sport ^ 0x1234 : 61000,
    dport: icmp ? r.dport : 8080,
    ttl: r.ttl - 2,
    meta: r.meta | META_ENCAPSULATED,
    shape: r.shape + 3,
    dataOffset: r.dataOffset + 90_000,
    tsNs: r.tsNs + 250_000,
  };
}

describe('identityHi and identityLo', () => {
  it('give a packet the same identity after NAT, forwarding and encapsulation', () => {
    for (let k = 0; k < 200; k++) {
      const r = sent([TCP, UDP, ICMP, ICMPV6][k % 4]!);
      expect(identity(elsewhere(r))).toEqual(identity(r));
    }
  });

  it('tell apart packets that differ in IP id, payload digest or protocol', () => {
    for (let k = 0; k < 200; k++) {
      const r = sent([TCP, UDP, ICMP, ICMPV6][k % 4]!);
      expect(identity({ ...r, ipId: (r.ipId + 1) & 0xffff })).not.toEqual(identity(r));
      expect(identity({ ...r, digest: r.digest ^ 0x0100 })).not.toEqual(identity(r));
      for (const proto of [TCP, UDP, ICMP, ICMPV6]) if (proto !== r.proto) expect(identity({ ...r, proto })).not.toEqual(identity(r));
    }
  });

  it('tell TCP segments apart by sequence, acknowledgment and any flag but PSH and FIN', () => {
    const r = row({ proto: TCP, ipId: 0x4a21, ipLen: 1500, digest: 0xbeef, seq: 1_000_001, ack: 2_000_001, tcpFlags: TCP_ACK });
    expect(identity({ ...r, seq: r.seq + 1448 })).not.toEqual(identity(r));
    expect(identity({ ...r, ack: r.ack + 1 })).not.toEqual(identity(r));
    expect(identity({ ...r, tcpFlags: TCP_ACK | TCP_RST })).not.toEqual(identity(r));
    expect(identity({ ...r, tcpFlags: TCP_SYN | TCP_ACK })).not.toEqual(identity(r));
  });

  it('match a GSO super-segment to the first wire-sized segment cut from it', () => {
    // The super-segment carries the length of all its pieces and the PSH and FIN of the last.
    const first = row({ proto: TCP, ipId: 0x4a21, ipLen: 1500, digest: 0xbeef, seq: 1_000_001, ack: 2_000_001, tcpFlags: TCP_ACK });
    const superSegment = { ...first, ipLen: 64_280, tcpFlags: TCP_ACK | TCP_PSH | TCP_FIN };
    expect(identity(superSegment)).toEqual(identity(first));
  });

  it('keep the length in the identity outside TCP', () => {
    for (const proto of [UDP, ICMP, ICMPV6]) {
      const r = sent(proto);
      expect(identity({ ...r, ipLen: r.ipLen + 8 })).not.toEqual(identity(r));
    }
  });

  it('tell an echo request from its reply, which echoes its identifier, sequence and payload, and from the next ping', () => {
    for (const [proto, request, reply] of [[ICMP, 8, 0], [ICMPV6, 128, 129]] as const) {
      const ping = row({ proto, ipId: 0x1111, ipLen: 84, digest: 0xabcd, sport: 77, seq: 3, dport: request << 8 });
      expect(identity({ ...ping, dport: reply << 8 })).not.toEqual(identity(ping));
      expect(identity({ ...ping, seq: 4 })).not.toEqual(identity(ping));
    }
  });

  it('with the digest left out, match a copy cut short to a whole one yet still tell packets apart', () => {
    // One capture's snap length cut the payload: that copy's digest is of fewer bytes.
    const whole = sent(UDP);
    const cut = { ...elsewhere(whole), digest: whole.digest ^ 0x5a5a };
    expect(identity(cut)).not.toEqual(identity(whole));
    expect(identity(cut, CUT_DIGEST)).toEqual(identity(whole, CUT_DIGEST));
    expect(identity({ ...whole, ipId: whole.ipId ^ 1 }, CUT_DIGEST)).not.toEqual(identity(whole, CUT_DIGEST));
  });

  it('with the TCP flags left out, match a copy cut before its flags to a whole one, but not a cut digest', () => {
    const whole = sent(TCP);
    const cut = { ...elsewhere(whole), tcpFlags: 0 };
    expect(identity(cut)).not.toEqual(identity(whole));
    expect(identity(cut, CUT_TCP_FLAGS)).toEqual(identity(whole, CUT_TCP_FLAGS));
    expect(identity({ ...whole, seq: whole.seq ^ 1 }, CUT_TCP_FLAGS)).not.toEqual(identity(whole, CUT_TCP_FLAGS));
    expect(identity({ ...whole, digest: whole.digest ^ 1 }, CUT_TCP_FLAGS)).not.toEqual(identity(whole, CUT_TCP_FLAGS));
  });
});

describe('directionVote', () => {
  it('votes +1 for an echo request and -1 for its reply, whatever the identifier, and 0 for other ICMP', () => {
    for (const [proto, request, reply, other] of [[ICMP, 8, 0, 3], [ICMPV6, 128, 129, 1]] as const) {
      expect(directionVote(row({ proto, sport: 0xffff, dport: request << 8 }))).toBe(1);
      expect(directionVote(row({ proto, sport: 0xffff, dport: reply << 8 }))).toBe(-1);
      expect(directionVote(row({ proto, sport: 0xffff, dport: (other << 8) | 1 }))).toBe(0);
    }
  });

  it('votes +2 for a SYN, -2 for a SYN-ACK, and nothing for the rest of a TCP connection whatever its ports', () => {
    expect(directionVote(row({ proto: TCP, sport: 80, dport: 43512, tcpFlags: TCP_SYN }))).toBe(2);
    expect(directionVote(row({ proto: TCP, sport: 43512, dport: 80, tcpFlags: TCP_SYN | TCP_ACK }))).toBe(-2);
    expect(directionVote(row({ proto: TCP, sport: 43512, dport: 80, tcpFlags: TCP_ACK | TCP_PSH }))).toBe(0);
    expect(directionVote(row({ proto: TCP, sport: 80, dport: 43512, tcpFlags: TCP_ACK | TCP_FIN }))).toBe(0);
  });

  it("votes UDP by its ports, the client's being the higher", () => {
    expect(directionVote(row({ proto: UDP, sport: 40000, dport: 53 }))).toBe(1);
    expect(directionVote(row({ proto: UDP, sport: 53, dport: 40000 }))).toBe(-1);
    expect(directionVote(row({ proto: UDP, sport: 123, dport: 123 }))).toBe(0);
  });
});

describe('portVote', () => {
  it("votes a TCP segment by its ports, the client's being the higher", () => {
    expect(portVote(row({ proto: TCP, sport: 43512, dport: 443, tcpFlags: TCP_ACK }))).toBe(1);
    expect(portVote(row({ proto: TCP, sport: 443, dport: 43512, tcpFlags: TCP_ACK | TCP_PSH }))).toBe(-1);
    expect(portVote(row({ proto: TCP, sport: 5000, dport: 5000, tcpFlags: TCP_ACK }))).toBe(0);
  });

  it('leaves the handshake to the stronger SYN vote, and UDP and ICMP out', () => {
    expect(portVote(row({ proto: TCP, sport: 43512, dport: 443, tcpFlags: TCP_SYN }))).toBe(0);
    expect(portVote(row({ proto: TCP, sport: 443, dport: 43512, tcpFlags: TCP_SYN | TCP_ACK }))).toBe(0);
    expect(portVote(row({ proto: UDP, sport: 40000, dport: 53 }))).toBe(0);
    expect(portVote(row({ proto: ICMP, sport: 0xffff, dport: 8 << 8 }))).toBe(0);
  });
});
