/**
 * Blind sides (blind.ts): a pod's host-side veth that never shows one direction of its pod's
 * traffic. Cilium's eBPF host routing hands replies straight to the pod's namespace, and
 * `tcpdump -Q in` keeps one direction by choice: either way the veth's silence is no drop, and
 * calling it one sends the engineer after a fault that is not there. Where the pod's own packets
 * cannot show that the replies reached it, the silence may be a real drop: it must stay one, or
 * be said to be unknown.
 *
 * node1 only: pod A behind veth1, talking to S, a pod of another node routed natively through
 * node1's eth0. eth0 sees every packet; veth1 what each case lets it see.
 */
import { describe, expect, it } from 'vitest';
import { captureInput, pcapOf } from '../testing/in-memory';
import { bytes, frame, type FrameSpec } from '../testing/packets';
import { correlate } from './correlate';
import type { CaptureInput } from './types';

const T0 = 1_700_000_000;
const A = '10.244.1.5';
const S = '10.244.2.7';
const ISN_A = 1_000_000;
const ISN_S = 5_000_000;
const a = (ipId: number, seq: number, ack: number, flags: number, data = 0): FrameSpec => ({ src: A, dst: S, proto: 'tcp', sport: 40000, dport: 80, ipId, seq, ack, flags, payload: bytes(data, ipId) });
const s = (ipId: number, seq: number, ack: number, flags: number, data = 0): FrameSpec => ({ src: S, dst: A, proto: 'tcp', sport: 80, dport: 40000, ipId, seq, ack, flags, payload: bytes(data, ipId) });
const SYN = 0x02, SYN_ACK = 0x12, ACK = 0x10, PSH_ACK = 0x18;

/** A opens, sends 100 bytes, S answers 200, A acknowledges them. */
const conversation = [
  a(1, ISN_A, 0, SYN),
  s(101, ISN_S, ISN_A + 1, SYN_ACK),
  a(2, ISN_A + 1, ISN_S + 1, ACK),
  a(3, ISN_A + 1, ISN_S + 1, PSH_ACK, 100),
  s(102, ISN_S + 1, ISN_A + 101, PSH_ACK, 200),
  a(4, ISN_A + 101, ISN_S + 201, ACK),
];
/** An echo request from `from` to `to` and its reply. */
const ping = (seq: number, from = A, to = S): FrameSpec[] => [
  { src: from, dst: to, proto: 'icmp', ipId: 10 + seq, icmp: { type: 8, code: 0, id: 7, seq }, payload: bytes(56, seq) },
  { src: to, dst: from, proto: 'icmp', ipId: 110 + seq, icmp: { type: 0, code: 0, id: 7, seq }, payload: bytes(56, seq) },
];
const fromPod = (f: FrameSpec) => f.src === A;
const fromServer = (f: FrameSpec) => f.src === S;

async function input(file: string, records: { us: number; data: Uint8Array }[]): Promise<CaptureInput> {
  return captureInput(file, pcapOf(records.map((r) => ({ ns: r.us * 1000, bytes: r.data })), { startSec: T0, snaplen: 65535 }));
}

/**
 * Packet i crosses node1 at i ms: A's leave through veth1 (TTL 64) then eth0 (63), S's come in
 * through eth0 (62) then veth1 (61). eth0 shows every one; veth1 those `atVeth` keeps.
 */
async function node1(packets: FrameSpec[], atVeth: (f: FrameSpec) => boolean) {
  const veth: { us: number; data: Uint8Array }[] = [];
  const eth0: { us: number; data: Uint8Array }[] = [];
  packets.forEach((f, i) => {
    const out = fromPod(f);
    eth0.push({ us: i * 1000 + (out ? 100 : 0), data: frame({ ...f, ttl: out ? 63 : 62 }) });
    if (atVeth(f)) veth.push({ us: i * 1000 + (out ? 0 : 100), data: frame({ ...f, ttl: out ? 64 : 61 }) });
  });
  const c = correlate([await input('node1-veth1.pcap', veth), await input('node1-eth0.pcap', eth0)]);
  const pod = c.points.find((p) => p.interface === 'veth1')!;
  // What each case rests on: veth1 is a pod veth and knows its pod.
  expect([pod.role, pod.podIps]).toEqual(['pod', [A]]);
  return { blind: c.blind, pod: pod.id };
}

describe('blindSides', () => {
  it("reports a veth that never shows the replies as blind towards its pod, proven by the pod's handshake and acknowledgments", async () => {
    const { blind, pod } = await node1(conversation, fromPod);
    expect(blind).toEqual([{ point: pod, towardsPod: true, seen: conversation.filter(fromPod).length, elsewhere: conversation.filter(fromServer).length, proven: true }]);
  });

  it('takes acknowledgment numbers that move on as the proof where the capture began after the handshake', async () => {
    // A's data, then S's 200 bytes twice: A acknowledges each, further each time.
    const later = [a(3, ISN_A + 1, ISN_S + 1, PSH_ACK, 100), s(102, ISN_S + 1, ISN_A + 101, PSH_ACK, 200), a(4, ISN_A + 101, ISN_S + 201, ACK), s(103, ISN_S + 201, ISN_A + 101, PSH_ACK, 200), a(5, ISN_A + 101, ISN_S + 401, ACK)];
    const { blind, pod } = await node1(later, fromPod);
    expect(blind).toEqual([{ point: pod, towardsPod: true, seen: 3, elsewhere: 2, proven: true }]);
  });

  it('reports a veth that shows only unanswered pings as silent towards its pod, not proven: nothing the pod sent could tell', async () => {
    const pings = [1, 2, 3].flatMap((n) => ping(n));
    const { blind, pod } = await node1(pings, fromPod);
    expect(blind).toEqual([{ point: pod, towardsPod: true, seen: pings.filter(fromPod).length, elsewhere: pings.filter(fromServer).length, proven: false }]);
  });

  it("takes the pod's echo replies as the proof: the echo requests they answer reached it", async () => {
    const pinged = [1, 2, 3].flatMap((n) => ping(n, S, A));
    const { blind, pod } = await node1(pinged, fromPod);
    expect(blind).toEqual([{ point: pod, towardsPod: true, seen: 3, elsewhere: 3, proven: true }]);
  });

  it('does not report a pod that sends its SYN again and again: the SYN-ACKs eth0 shows may really be lost before it', async () => {
    const retries = [1, 2, 3].flatMap((n) => [a(n, ISN_A, 0, SYN), s(100 + n, ISN_S, ISN_A + 1, SYN_ACK)]);
    expect((await node1(retries, fromPod)).blind).toEqual([]);
  });

  it('does not report a healthy veth that shows both directions', async () => {
    expect((await node1([...conversation, ...[1, 2, 3].flatMap((n) => ping(n))], () => true)).blind).toEqual([]);
  });

  it("does not judge a veth on two of the pod's packets, though they prove its handshake (MIN_SEEN is three); a third makes it blind", async () => {
    // The handshake alone: the pod proves it got the SYN-ACK, but two packets are too few to judge.
    const handshake = conversation.slice(0, 3);
    expect(handshake.filter(fromPod)).toHaveLength(2);
    expect((await node1(handshake, fromPod)).blind).toEqual([]);
    const withData = conversation.slice(0, 4);
    const { blind, pod } = await node1(withData, fromPod);
    expect(blind).toEqual([expect.objectContaining({ point: pod, towardsPod: true, seen: 3, proven: true })]);
  });

  it("reports a veth that shows only what comes to the pod as blind from it, the pod's packets seen on eth0", async () => {
    // The conversation and three pings: five packets towards the pod, enough to judge.
    const both = [...conversation, ...[1, 2, 3].flatMap((n) => ping(n))];
    const { blind, pod } = await node1(both, fromServer);
    expect(blind).toEqual([{ point: pod, towardsPod: false, seen: both.filter(fromServer).length, elsewhere: both.filter(fromPod).length, proven: true }]);
  });
});
