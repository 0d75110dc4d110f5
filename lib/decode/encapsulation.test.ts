/** The ICMP error read out of a decoded packet: what it quotes, and what is kept when the snap length cut the quote. */
import { describe, expect, it } from 'vitest';
import { decodePacket } from './decode-packet';
import { quotedErrorIn } from './encapsulation';
import { bytes, frame, type FrameSpec } from '../testing/packets';

const big: FrameSpec = { src: '10.244.1.2', dst: '10.244.2.2', proto: 'icmp', ipId: 77, icmp: { type: 8, code: 0, id: 7, seq: 2 }, payload: bytes(1472, 2) };

/** Ethernet[IPv4[ICMP type/code[quote: the first 28 bytes of `quoted`'s IP packet]]], from 10.244.1.1 to the quoted packet's source. */
function errorFrame(type: number, code: number, mtu: number): Uint8Array {
  const quote = frame(big).subarray(14, 14 + 28);
  return frame({ src: '10.244.1.1', dst: '10.244.1.2', proto: 'icmp', ipId: 9, icmp: { type, code, id: 0, seq: mtu }, payload: quote });
}

describe('quotedErrorIn', () => {
  it('reads a whole frag-needed: who sent it, to whom, the MTU and the quoted echo request', () => {
    const e = quotedErrorIn(decodePacket(errorFrame(3, 4, 1450), 1).layers)!;
    expect(e).toMatchObject({ from: '10.244.1.1', to: '10.244.1.2', type: 3, code: 4, mtu: 1450 });
    expect(e.quoted).toMatchObject({ proto: 1, src: '10.244.1.2', dst: '10.244.2.2', echo: true, sport: 7, echoSeq: 2, ipLen: 1500 });
  });

  it('keeps a frag-needed whose quote the snap length cut, without the quote: it still says who must send smaller, and how small', () => {
    // Ethernet 14 + IPv4 20 + ICMP 8, then 10 bytes of the quoted IPv4 header (tcpdump -s 52).
    const e = quotedErrorIn(decodePacket(errorFrame(3, 4, 1450).subarray(0, 52), 1).layers)!;
    expect(e).toMatchObject({ from: '10.244.1.1', to: '10.244.1.2', type: 3, code: 4, mtu: 1450, quoted: null, quotedUnderlay: null });
  });

  it('drops any other error whose quote was cut: nothing would tell its flow', () => {
    expect(quotedErrorIn(decodePacket(errorFrame(3, 3, 0).subarray(0, 52), 1).layers)).toBeNull();
    expect(quotedErrorIn(decodePacket(errorFrame(3, 3, 0), 1).layers)?.quoted).toMatchObject({ proto: 1, echo: true });
  });
});
