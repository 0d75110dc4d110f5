/**
 * The verdict as an ordered rule table, after ESLint's rule modules: each rule has a name, what
 * it reports and why, and one check over the flow's evidence (evidence.ts) that yields the
 * verdict, its causes and the evidence it used, or nothing. The first rule that answers
 * decides; the report says which. Order matters: a drop is worse than a rejection, a rejection
 * is said before "no reply", and "delivered" is what is left.
 */
import type { Cause } from './causes';
import { CAPTURE_BUFFER, familyOf, pointName } from './causes';
import { consumesSequence, TCP_MAX_HEADER } from '../correlate/summary';
import { acksPast, oneTcpdumpAny, ownRequestsMissed, quoteCutNote, REPLY_WAIT_NS, seenTime, unacknowledgedData, unansweredEchoes, watchedAfterRequest, type Evidence, type Step } from './evidence';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../protocols/numbers';
import type { IcmpErrorReport, VerdictKind } from './types';
import type { CapturePoint } from '../correlate/types';
import { ROLE_NOUNS } from '../protocols/devices';
import { SLL1_INNER } from '../correlate/points';
import { idsWhere, INITIAL_TTLS } from '../correlate/flows';

/** The bits that tell a SYN, a SYN-ACK and a RST apart. */
const SYN_ACK_RST = TCP_SYN | TCP_ACK | TCP_RST;

export interface RuleResult {
  kind: VerdictKind;
  summary: string;
  transition: string | null;
  causes: Cause[];
  /** The facts the rule went by, one line each. */
  evidence: string[];
  /** Where the replies stop when the rule knows better than the counts (a SYN-ACK never answered). */
  repliesStopAfter?: string;
}

export interface VerdictRule {
  name: string;
  /** What the rule reports and why it may say so. */
  description: string;
  decide(ev: Evidence): RuleResult | null;
}

const plural = (k: number, noun: string) => `${k} ${k === 1 ? noun.replace(/s$/, '').replace(/ie$/, 'y') : noun}`;
const sec = (ns: number) => `${(ns / 1e9).toFixed(3)} s`;
/** "a", "a and b", "a, b and c" */
const listed = (xs: string[]) => (xs.length < 2 ? (xs[0] ?? '') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

/** "3 echo requests reach node2/cni0": how many requests, and the last station, which saw them. */
function reachLast(ev: Evidence): string {
  return `${plural(ev.n, ev.what)} ${ev.n === 1 ? 'reaches' : 'reach'} ${pointName(ev.points[ev.stations[ev.stations.length - 1]!]!)}`;
}

/** "requests: node1/eth0 3, node2/eth0 3, node2/flannel.1 0" */
function countsLine(ev: Evidence, dir: 'requests' | 'replies'): string {
  const order = dir === 'requests' ? ev.stations : ev.repStations;
  const at = dir === 'requests' ? ev.reqAt : ev.repAt;
  return `${dir} per station: ${order.map((p, i) => `${pointName(ev.points[p]!)} ${at[i]}`).join(', ') || 'none captured'}`;
}

const span = (ts: number[]) => {
  const ok = ts.filter((t) => !Number.isNaN(t));
  return ok.length > 0 ? `${sec(Math.min(...ok))}–${sec(Math.max(...ok))}` : 'unknown times';
};

function stepLines(s: Step, dir: 'requests' | 'replies'): string[] {
  const window =
    s.to.packets === 0 ? (s.to.runUnknown ? 'holds no packet, and when it ran is unknown (its tcpdump never said it listened)' : 'ran and holds no packet at all') : Number.isNaN(s.window[0]) ? 'has no timestamps' : `covers ${sec(s.window[0])}–${sec(s.window[1])}`;
  const lines: string[] = [];
  if (s.lost.length > 0) {
    // Lost after the next capture's last packet: counted, because a capture that goes quiet runs
    // on (evidence.ts TAIL_GRACE_NS, or its stream going on); said, or the line contradicts itself.
    const later = s.to.packets > 0 && s.lostTimes.some((t) => t > s.window[1] + 1e6); // past what the line shows (ms)
    lines.push(`${plural(s.lost.length, dir)} seen at ${pointName(s.from)} and never at ${pointName(s.to)} (largest ${s.lostSize} bytes)`);
    lines.push(`they passed ${pointName(s.from)} at ${span(s.lostTimes)}; ${pointName(s.to)}'s capture ${window}${later ? ` (to its last packet; nothing says it had stopped when the later ones passed, and a capture that goes quiet runs on)` : ''}`);
  } else lines.push(`${pointName(s.to)}'s capture ${window}`);
  lines.push(...outsideLines(s, dir));
  return lines;
}

/** The packets of a step that passed while the next capture was not recording: why they are not lost. */
function outsideLines(s: Step, dir: 'requests' | 'replies'): string[] {
  if (s.outside.length === 0) return [];
  const lines = [`${plural(s.outside.length, dir)} passed ${pointName(s.from)} at ${span(s.outsideTimes)}, outside ${pointName(s.to)}'s capture: not counted as lost`];
  if (s.toEndedEarly) lines.push(`${pointName(s.to)} was no longer writing: packets that crossed it after its file's last one were seen further on (its capture stopped earlier, or a tcpdump stopped by a signal never wrote its last buffered packets)`);
  return lines;
}

const errorLine = (e: IcmpErrorReport) => `ICMP ${e.meaning} from ${e.from}${e.mtu !== null ? ` (MTU ${e.mtu})` : ''} ×${e.count}, seen at ${e.at}${quoteCutNote(e)}`;

/**
 * A step where every packet missing from the next capture was proven received (acknowledged,
 * answered), but bare TCP ACKs, which nothing acknowledges and the next segment repeats: no stop.
 */
const onlyMissed = (ev: Evidence, s: Step) =>
  s.outside.length === 0 && s.missed.length + s.passedOn.length > 0 && (s.lost.length === 0 || (ev.flow.proto === 6 && !s.lost.some((g) => consumesSequence(ev.groups, g, ev.flow.client.includes(':') ? 40 : 20))));

/** Requests stop before the last station: the first step they failed, or null. */
function requestsStop(ev: Evidence): Step | null {
  const s = ev.reqLast >= 0 && ev.reqLast < ev.stations.length - 1 ? ev.step('requests', ev.reqLast) : null;
  return s && !onlyMissed(ev, s) ? s : null;
}

function repliesStop(ev: Evidence): Step | null {
  const s = ev.flow.replies.length > 0 && ev.repLast >= 0 && ev.repLast < ev.repStations.length - 1 ? ev.step('replies', ev.repLast) : null;
  return s && !onlyMissed(ev, s) ? s : null;
}

/** The segments some capture lacks though the peer acknowledged them: a note for the summary and one evidence line per step. */
function missedNote(ev: Evidence): { note: string; lines: string[] } {
  const lines: string[] = [];
  let acked = 0;
  let passedOn = 0;
  let bare = 0;
  for (const dir of ['requests', 'replies'] as const) {
    const order = dir === 'requests' ? ev.stations : ev.repStations;
    for (let k = 0; k + 1 < order.length; k++) {
      // Nothing missing at the next station (most steps of a healthy flow): nothing to note.
      if (ev.quiet(dir, k)) continue;
      const s = ev.step(dir, k);
      const noun = dir === 'requests' ? ev.what : ev.replyWhat;
      const were = s.missed.length === 1 ? 'was' : 'were';
      if (s.missed.length > 0)
        lines.push(
          `${plural(s.missed.length, noun)} seen at ${pointName(s.from)} and missing from ${pointName(s.to)}'s capture ${ev.flow.proto === 6 ? `${were} acknowledged by the peer` : ev.flow.proto === 17 ? `${were} answered (a reply came after ${s.missed.length === 1 ? 'it' : 'each'}, before the next request)` : `${were} answered (${s.missed.length === 1 ? 'its echo reply is' : 'their echo replies are'} in the captures)`}: the capture missed ${s.missed.length === 1 ? 'it' : 'them'}`,
        );
      if (s.passedOn.length > 0) {
        const were = s.passedOn.length === 1 ? 'was' : 'were';
        lines.push(`${plural(s.passedOn.length, noun)} seen at ${pointName(s.from)} and missing from ${pointName(s.to)}'s capture ${were} seen further on the way: ${s.passedOn.length === 1 ? 'it' : 'they'} crossed ${pointName(s.to)}, and the capture missed ${s.passedOn.length === 1 ? 'it' : 'them'}`);
        passedOn += s.passedOn.length;
      }
      lines.push(...outsideLines(s, dir));
      acked += s.missed.length;
      // What lossyStep let pass: bare ACKs only.
      if (ev.flow.proto === 6 && s.lost.length > 0 && !s.lost.some((g) => consumesSequence(ev.groups, g, ev.flow.client.includes(':') ? 40 : 20))) {
        lines.push(`${plural(s.lost.length, 'bare ACKs')} seen at ${pointName(s.from)} and never at ${pointName(s.to)}: not counted as loss (the next segment carries the same acknowledgment)`);
        bare += s.lost.length;
      }
    }
  }
  const notes: string[] = [];
  if (acked > 0)
    notes.push(
      `${ev.flow.proto === 6 ? 'the peer acknowledged the segments' : 'echo replies answer the requests'} some captures lack, so those captures missed them (as tcpdump -i any does when its buffer fills)`,
    );
  if (passedOn > 0) notes.push('some captures lack packets seen further along their way, so those captures missed them');
  if (bare > 0) notes.push(`${plural(bare, 'bare ACKs')} missing from a capture ${bare === 1 ? 'is' : 'are'} not counted as loss`);
  return { note: notes.length > 0 ? `: ${notes.join('; ')}` : '', lines };
}

/**
 * TCP: the server answered the SYN with SYN-ACKs, and the client sent nothing but SYNs, one of
 * them after the first SYN-ACK was seen: it never got one. That proves the SYN-ACKs lost on the
 * way back, whatever a capture's window says of where they were last seen.
 */
function unfinishedHandshake(ev: Evidence): { synAcks: number[]; syns: number[] } | null {
  if (ev.flow.protocol !== 'tcp') return null;
  const G = ev.groups;
  const flags = (g: number) => G.tcpFlags[g]!;
  const synAcks = idsWhere(ev.flow.replies, (g) => (flags(g) & SYN_ACK_RST) === (TCP_SYN | TCP_ACK));
  if (synAcks.length === 0) return null;
  const syns = idsWhere(ev.flow.requests, (g) => (flags(g) & SYN_ACK_RST) === TCP_SYN);
  // The client sent nothing but SYNs: it never saw a SYN-ACK to acknowledge.
  if (syns.length < 2 || syns.length !== ev.flow.requests.length) return null;
  const firstSynAck = Math.min(...synAcks.map((g) => seenTime(ev, g)));
  return syns.some((g) => seenTime(ev, g) > firstSynAck) ? { synAcks, syns } : null;
}

/** The first step where some packets of a direction pass and some do not. */
function lossyStep(ev: Evidence, dir: 'requests' | 'replies'): { s: Step; delivered: number[]; k: number } | null {
  const order = dir === 'requests' ? ev.stations : ev.repStations;
  const at = dir === 'requests' ? ev.reqAt : ev.repAt;
  const groups = dir === 'requests' ? ev.flow.requests : ev.flow.replies;
  for (let k = 0; k + 1 < order.length; k++) {
    if (!(at[k + 1]! < at[k]! && at[k + 1]! > 0)) continue;
    const s = ev.step(dir, k);
    if (s.lost.length === 0) continue;
    // Bare TCP ACKs alone missing is no loss to speak of: the next segment carries the same
    // acknowledgment, and no application notices (nor can we prove they arrived).
    if (ev.flow.proto === 6 && !s.lost.some((g) => consumesSequence(ev.groups, g, ev.flow.client.includes(':') ? 40 : 20))) continue;
    return { s, delivered: idsWhere(groups, (g) => ev.groups.seenAt(g, s.to.id)), k };
  }
  return null;
}

/**
 * Packets missing at one step, few enough that the next capture's own misses explain them: it
 * is proven to miss packets (capture-drops.ts). Placed before the direction's stop rule, it
 * judges the step the stop or partial-loss rules would. Only for packets whose arrival nothing
 * else could show: echo replies and UDP answers, and datagrams of a flow nobody answers. A TCP
 * segment that arrived is acknowledged, and a request that arrived is answered: one missing
 * with no answer is corroborated lost, whatever the capture misses. Not where a too-big error
 * came back (the MTU rules read that), nor between two interfaces of one -i any (the
 * copies-missing rules).
 */
function missedByCaptureRule(dir: 'requests' | 'replies'): VerdictRule {
  const noun = (ev: Evidence) => (dir === 'requests' ? ev.what : ev.replyWhat);
  return {
    name: `${dir}-missed-by-capture`,
    description: `Some or all ${dir === 'requests' ? 'UDP datagrams of a flow nobody answers' : 'echo replies or UDP answers'} seen at one point are missing from the next and every capture after it, captures proven to miss packets of their own (ones seen on both sides, or sent by the point's own pod and seen further on, are not in the file; or the capture counted drops), and they are few enough that those misses explain them: whether they were lost is not observed. Not for TCP, whose acknowledgments prove what arrived.`,
    decide(ev) {
      const f = ev.flow;
      if (f.proto === 6 || (dir === 'replies' ? f.replies.length === 0 : f.proto !== 17 || f.replies.length > 0)) return null;
      const stop = dir === 'requests' ? requestsStop(ev) : repliesStop(ev);
      // Datagrams that all stop at one step, with nothing answering them, stopped: a server that
      // receives some and answers none is what lets a few missing ones be the capture's.
      if (dir === 'requests' && stop) return null;
      const s = stop ? (stop.covered ? stop : null) : (lossyStep(ev, dir)?.s ?? null);
      // An ICMP error (too big, unreachable, prohibited) says why they stopped: its rules decide.
      if (!s || s.lost.length === 0 || ev.icmpErrors.length > 0 || oneTcpdumpAny(s.from, s.to)) return null;
      // They are missing from every capture after `from`: each must have missed them.
      const at = dir === 'requests' ? ev.reqAt : ev.repAt;
      const order = dir === 'requests' ? ev.stations : ev.repStations;
      const k = order.indexOf(s.to.id);
      const why = ev.missedByCaptures(order.slice(k).map((p) => ev.points[p]!), s.lost.length);
      if (!why) return null;
      const one = s.lost.length === 1;
      const [there, before] = [at[k] ?? 0, at[k - 1] ?? 0];
      return {
        kind: 'not-observed',
        summary: `${plural(s.lost.length, noun(ev))} seen at ${pointName(s.from)} ${one ? 'is' : 'are'} missing from ${pointName(s.to)}${there > 0 ? ` (it holds ${there} of the ${before})` : ''}${k < order.length - 1 ? ' and every capture after it, which all miss packets of their own' : ', whose capture misses packets of its own'}: whether ${one ? 'it' : 'they'} went on is not observed`,
        transition: null,
        causes: [recaptureCause(s.to)],
        evidence: [countsLine(ev, dir), ...stepLines(s, dir), why],
      };
    },
  };
}

/** For a capture that misses packets of its own: take it again, and read what tcpdump says it dropped. */
const recaptureCause = (p: CapturePoint): Cause => ({
  text: `capture ${pointName(p)} again with a larger buffer, and read the drop count tcpdump prints when it stops`,
  check: `tcpdump -i ${p.interface} ${CAPTURE_BUFFER} -w ${p.node}-${p.interface}.pcap  # on ${p.host}; stopped, it says "0 packets dropped by kernel"`,
});

/** TCP: a RST that answers a SYN (sequence number 0) came back, and no SYN-ACK. */
function refusedWithRst(ev: Evidence): boolean {
  const G = ev.groups;
  return ev.flow.replies.some((g) => G.refusesSyn(g)) && !ev.flow.replies.some((g) => (G.tcpFlags[g]! & SYN_ACK_RST) === (TCP_SYN | TCP_ACK));
}

/** What a router answers a packet too big for the next link with, by the flow's family. */
const tooBigWord = (ev: Evidence) => (ev.flow.client.includes(':') ? 'packet too big' : 'frag-needed');

const range = (min: number, max: number) => (min === max ? `${min}` : `${min}–${max}`);

/**
 * Why a flow paid for path MTU discovery, and where to look: the pods' MTU above `what`'s (the
 * overlay device's, where the refusal was between two captures). `device` null: every device of
 * the host that has `refusedBy`, the address that refused.
 */
const pmtuCause = (ev: Evidence, mtu: number, what: string, device: string | null, refusedBy = ''): Cause => ({
  text: `the pods' MTU is larger than ${what} ${mtu}: every new connection pays a ${tooBigWord(ev)} round trip, and any path that filters ICMP becomes a black hole`,
  check: `ip link show${device ? ` ${device}` : ''} | grep mtu; nsenter -t <pod pid> -n ip link show eth0 | grep mtu  # pod MTU must be ≤ ${mtu}${refusedBy ? `; ip link on the node or router that has ${refusedBy}` : ''}`,
});

/** Partial loss rules, one per reading of a lossy step, for either direction. */
function partialRules(dir: 'requests' | 'replies'): VerdictRule[] {
  const noun = (ev: Evidence) => (dir === 'requests' ? ev.what : ev.replyWhat);
  // Replies of a handshake the client never finished: handshake-unfinished says where they
  // stop, on the client's own proof; a count of resent SYN-ACK copies here is a guess (a capture
  // that started late pairs its first copy with the first elsewhere).
  const found = (ev: Evidence) => {
    if (dir === 'replies' && (ev.flow.replies.length === 0 || repliesStop(ev))) return null;
    const x = lossyStep(ev, dir);
    return x && dir === 'replies' && unfinishedHandshake(ev) ? null : x;
  };
  return [
    {
      name: `${dir}-lost-above-pmtu`,
      description: `Some ${dir} are lost at one step, all larger than the MTU an ICMP frag-needed (ICMPv6 packet too big) announced, and the rest pass: delivered after path MTU discovery, which the router that sent the ICMP started.`,
      decide(ev) {
        const x = found(ev);
        const fn = ev.fragNeeded;
        if (!x || !fn || fn.mtu === null) return null;
        const minLost = x.s.lost.reduce((m, g) => Math.min(m, ev.groups.ipLen[g]!), Infinity);
        if (!(minLost > fn.mtu)) return null;
        // Delivered only if something got through after the refusal: a sender that keeps
        // resending the big packet learnt nothing (a black hole with ICMP, not discovery).
        const refusedAt = x.s.lost.reduce((m, g) => Math.min(m, seenTime(ev, g)), Infinity);
        if (!x.delivered.some((g) => seenTime(ev, g) > refusedAt)) return null;
        const dev = ev.overlayIn(x.s.from, x.s.to)?.device;
        // The flow got through once the sender learnt the path MTU: delivered, and the refusal
        // is the router's that answered, not a stop at the point before it.
        return {
          kind: 'delivered',
          summary: `delivered after path MTU discovery: ${fn.from} refused ${plural(x.s.lost.length, noun(ev))} of ${range(minLost, x.s.lostSize)} bytes with ${tooBigWord(ev)} (MTU ${fn.mtu}) between ${pointName(x.s.from)} and ${pointName(x.s.to)}; what was sent after that was smaller and got through`,
          transition: null,
          causes: [pmtuCause(ev, fn.mtu, `${dev ?? 'the overlay'}'s`, dev ?? 'flannel.1')],
          evidence: [...stepLines(x.s, dir), `smallest lost: ${minLost} bytes > MTU ${fn.mtu}`, errorLine(fn)],
        };
      },
    },
    {
      name: `${dir}-large-lost`,
      description: `At one step the ${dir} larger than any that passed are lost and the smaller ones pass: the packets do not fit the path (an MTU black hole when no frag-needed or packet too big comes back).`,
      decide(ev) {
        const x = found(ev);
        if (!x) return null;
        const maxDelivered = x.delivered.reduce((m, g) => Math.max(m, ev.groups.ipLen[g]!), 0);
        const minLost = x.s.lost.reduce((m, g) => Math.min(m, ev.groups.ipLen[g]!), Infinity);
        if (!(minLost > maxDelivered)) return null;
        const ov = ev.overlayIn(x.s.from, x.s.to);
        const fn = ev.fragNeeded;
        return {
          kind: 'size-dependent',
          summary: `large ${noun(ev)} (${range(minLost, x.s.lostSize)} bytes) stop after ${pointName(x.s.from)} while small ones (≤ ${maxDelivered} bytes) pass${fn ? `; ${fn.from} sent ${tooBigWord(ev)} (MTU ${fn.mtu ?? '?'})` : `; no ${tooBigWord(ev)} came back (MTU black hole)`}${ov ? `: ${ov.device} carries at most ${ov.mtu} bytes` : ''}`,
          transition: x.s.transition,
          causes: x.s.causes,
          evidence: [...stepLines(x.s, dir), `lost ${range(minLost, x.s.lostSize)} bytes; passed ≤ ${maxDelivered} bytes`, ...(fn ? [errorLine(fn)] : [`no ICMP ${tooBigWord(ev)} seen`])],
        };
      },
    },
    {
      name: `${dir}-partial-loss`,
      description: `Some ${dir} are lost at one step and others of the same sizes pass: loss, not a filter.`,
      decide(ev) {
        const x = found(ev);
        // TCP that sent every lost segment again and had it acknowledged: the tcp-recovered rule says so, unless another rule finds a stop.
        if (!x || oneTcpdumpAny(x.s.from, x.s.to) || recovered(ev, x.s, dir)) return null;
        const at = dir === 'requests' ? ev.reqAt : ev.repAt;
        // Packets that passed while the next capture was not running are neither lost nor passed.
        const passed = at[x.k + 1]!;
        const tried = passed + x.s.lost.length;
        const pct = Math.round((100 * x.s.lost.length) / tried);
        return {
          kind: 'partial-loss',
          summary: `${passed} of ${tried} ${noun(ev)} pass from ${pointName(x.s.from)} to ${pointName(x.s.to)}: ${x.s.lost.length} lost (${pct}%) on that step`,
          transition: x.s.transition,
          causes: x.s.causes,
          evidence: [countsLine(ev, dir), ...stepLines(x.s, dir)],
        };
      },
    },
    {
      name: `${dir}-copies-missing`,
      description: `Some ${dir} seen on one interface of a tcpdump -i any are missing from another interface of it, and others pass: its one buffer holds every copy of a packet and drops copies when it fills, so whether the kernel lost them is not observed.`,
      decide(ev) {
        const x = found(ev);
        if (!x || !oneTcpdumpAny(x.s.from, x.s.to)) return null;
        const at = dir === 'requests' ? ev.reqAt : ev.repAt;
        const passed = at[x.k + 1]!;
        return {
          kind: 'not-observed',
          summary: `${passed} of ${passed + x.s.lost.length} ${noun(ev)} seen at ${pointName(x.s.from)} are also at ${pointName(x.s.to)}; the other ${x.s.lost.length} ${x.s.lost.length === 1 ? 'is' : 'are'} missing from that interface of the same tcpdump -i any, whose buffer drops copies in bursts: whether the kernel lost ${x.s.lost.length === 1 ? 'it' : 'them'} is not observed`,
          transition: null,
          causes: [
            {
              text: `capture ${pointName(x.s.from)} and ${pointName(x.s.to)} each on its own (tcpdump -i <interface>), or -i any with a larger buffer, and compare the drop count tcpdump prints when stopped`,
              check: `tcpdump -i any ${CAPTURE_BUFFER} -w ${x.s.to.host}-any.pcap`,
            },
          ],
          evidence: [countsLine(ev, dir), ...stepLines(x.s, dir), `${pointName(x.s.from)} and ${pointName(x.s.to)} are interfaces of one tcpdump -i any (${x.s.from.file})`],
        };
      },
    },
  ];
}

/**
 * Whether TCP recovered what was lost at step `s`: every lost segment that carried data (a lost
 * bare ACK is superseded by the next) has its sequence number in a later segment of its
 * direction, and a packet of the other direction acknowledges all of it (its payload taken as
 * short as it can be: the longest TCP header), so every byte arrived. False when none carried
 * data. One pass over each direction: a lossy bulk transfer loses thousands of segments.
 */
function recovered(ev: Evidence, s: Step, dir: 'requests' | 'replies'): boolean {
  if (ev.flow.proto !== 6 || oneTcpdumpAny(s.from, s.to)) return false;
  const G = ev.groups;
  const ipHeader = ev.flow.client.includes(':') ? 40 : 20;
  const data = s.lost.filter((g) => consumesSequence(G, g, ipHeader));
  if (data.length === 0) return false;
  const [same, other] = dir === 'requests' ? [ev.flow.requests, ev.flow.replies] : [ev.flow.replies, ev.flow.requests];
  // Each sequence number's latest sending, and the furthest acknowledgment of the other way.
  const lastSent = new Map<number, number>();
  for (const h of same) lastSent.set(G.seq[h]!, Math.max(lastSent.get(G.seq[h]!) ?? -Infinity, G.first[h]!));
  let furthest = -1;
  for (const h of other) if (acksPast(G, h, G.seq[data[0]!]!, 0) && (furthest < 0 || acksPast(G, h, G.ack[furthest]!, 1))) furthest = h;
  return furthest >= 0 && data.every((g) => lastSent.get(G.seq[g]!)! > G.first[g]! && acksPast(G, furthest, G.seq[g]!, G.ipLen[g]! - ipHeader - TCP_MAX_HEADER));
}

function ipForwardOrForwardChain(node: string, addr: string): Cause {
  const fam = familyOf(addr);
  return { text: `${node} does not forward to the pod (FORWARD policy DROP or ${fam.v6 ? 'IPv6 forwarding off' : 'ip_forward=0'})`, check: `${fam.iptables} -S FORWARD; sysctl ${fam.forwarding}` };
}

export const RULES: readonly VerdictRule[] = [
  {
    name: 'answered-outside-windows',
    description:
      'Requests were last seen at a point whose next capture does not cover their time, but replies came back to where the requests were last seen: the server got them, so the flow was delivered as far as the captures show.',
    decide(ev) {
      const s = requestsStop(ev);
      // A RST refusing the SYN proves no server got them: tcp-reset says who refused.
      if (!s || s.covered || ev.flow.replies.length === 0 || refusedWithRst(ev)) return null;
      // The replies came back through the point the requests were last seen at, and went on
      // (or passed only captures that were not running).
      const back = ev.repStations.indexOf(s.from.id);
      if (back < 0 || ev.repLast < back) return null;
      const r = repliesStop(ev);
      if (r && r.covered) return null;
      return {
        kind: 'delivered',
        summary: `delivered as far as the captures show: ${plural(ev.nReplies, ev.replyWhat)} came back through ${pointName(s.from)}; ${pointName(s.to)}'s capture was not running when the ${ev.what} passed`,
        transition: null,
        causes: [],
        evidence: [countsLine(ev, 'requests'), countsLine(ev, 'replies'), ...stepLines(s, 'requests')],
      };
    },
  },
  {
    name: 'requests-not-observed',
    description: 'Requests were last seen at a point whose next capture does not cover the time they passed: whether they went on is not observed, which is not a drop.',
    decide(ev) {
      const s = requestsStop(ev);
      if (!s || s.covered) return null;
      return {
        kind: 'not-observed',
        summary: `${plural(s.outside.length, ev.what)} seen up to ${pointName(s.from)}; ${pointName(s.to)}'s capture does not cover that time, so whether they went on is not observed`,
        transition: null,
        causes: [{ text: `capture ${pointName(s.to)} again while reproducing, for the whole time`, check: `tcpdump -i ${s.to.interface} -w ${s.to.node}-${s.to.interface}.pcap` }],
        evidence: stepLines(s, 'requests'),
      };
    },
  },
  {
    name: 'requests-too-big',
    description: 'Requests stop at one step and are larger than the overlay carries, or an ICMP frag-needed (ICMPv6 packet too big) came back: the MTU, not a filter.',
    decide(ev) {
      const s = requestsStop(ev);
      if (!s) return null;
      const ov = ev.overlayIn(s.from, s.to);
      const fn = ev.fragNeeded;
      if (!fn && !(ov && s.lostSize > ov.mtu)) return null;
      const causes: Cause[] = [];
      if (fn) {
        causes.push({
          text: `${fn.from} answered ${fn.type === 2 && familyOf(fn.from).v6 ? '"packet too big"' : '"fragmentation needed"'} with ${fn.type === 2 && familyOf(fn.from).v6 ? 'MTU' : 'next-hop MTU'} ${fn.mtu ?? '?'}: ${s.lostSize}-byte packets${familyOf(fn.from).v6 ? '' : ' with DF set'} do not fit${ov ? ` ${ov.device}'s MTU ${ov.mtu} (1500 − ${ov.overhead})` : ''}`,
          check: `ip link show ${ov?.device ?? s.from.interface} | grep mtu  # pods must use an MTU ≤ ${ov?.mtu ?? fn.mtu}; check the CNI's MTU setting`,
        });
      }
      causes.push(...s.causes.filter((x) => !fn || !x.text.startsWith('the packets (')));
      return {
        kind: 'size-dependent',
        summary: `${s.lost.length} of ${ev.n} ${ev.what} (${s.lostSize} bytes) stop after ${pointName(s.from)}: larger than the path MTU${fn ? `; ${fn.from} sent ${tooBigWord(ev)} (MTU ${fn.mtu ?? '?'})` : `, and no ${tooBigWord(ev)} came back (black hole)`}`,
        transition: s.transition,
        causes,
        evidence: [...stepLines(s, 'requests'), fn ? errorLine(fn) : `${s.lostSize} bytes > ${ov!.device}'s MTU ${ov!.mtu}`],
      };
    },
  },
  {
    name: 'neighbour-unanswered',
    description:
      'Requests stop at one step while the node there asks for the destination\'s link address (ARP, IPv6 neighbour solicitation) and nobody answers: no host has that address on the link — a pod that is gone, a stale endpoint, or a neighbour that cannot answer.',
    decide(ev) {
      const s = requestsStop(ev);
      if (!s || !s.covered || s.unanswered.length === 0) return null;
      const n = s.unanswered[0]!;
      const asks = n.protocol === 'ARP' ? 'ARP requests' : 'neighbour solicitations';
      const v6 = n.protocol === 'ND';
      const unreach = ev.hostUnreach;
      return {
        kind: 'request-dropped',
        summary: `${ev.what} reach ${pointName(s.from)}, never ${pointName(s.to)}: ${s.to.host} asks for ${n.target} (${n.asked} ${asks} on ${n.at.replace(/^[^/]*\//, '')}) and nobody answers${unreach ? `; ${unreach.from} returns ${unreach.meaning}` : ''}`,
        transition: `reached ${pointName(s.from)}; ${s.to.host} found no neighbour ${n.target}`,
        causes: [
          {
            text: `no pod has ${n.target} any more (it was deleted or restarted with another address) and a Service or client still uses it: a stale endpoint`,
            check: `kubectl get pods -A -o wide | grep -w ${n.target}; kubectl get endpointslices -A | grep -w ${n.target}`,
          },
          {
            text: `the pod with ${n.target} exists but does not answer ${v6 ? 'neighbour discovery' : 'ARP'} (its interface is down, or ${v6 ? 'ip6tables drops ICMPv6 in it' : 'it has another address'})`,
            check: `ip ${v6 ? '-6 ' : ''}neigh show ${n.target}  # on ${s.to.host}: FAILED or INCOMPLETE`,
          },
        ],
        evidence: [
          countsLine(ev, 'requests'),
          ...s.unanswered.map((u) => `${u.asked} ${u.protocol === 'ARP' ? 'ARP requests' : 'neighbour solicitations'} for ${u.target} at ${u.at}, no answer`),
          ...(unreach ? [errorLine(unreach)] : []),
        ],
      };
    },
  },
  missedByCaptureRule('requests'),
  {
    name: 'requests-stop',
    description: 'Requests are seen at one capture point and never at the next one, whose capture covers their time: they stop at that step.',
    decide(ev) {
      const s = requestsStop(ev);
      // A RST answered the SYN from where they stopped: refused there, which tcp-reset says.
      if (!s || refusedWithRst(ev)) return null;
      return {
        kind: 'request-dropped',
        summary: `${ev.what} reach ${pointName(s.from)}, never ${pointName(s.to)}${s.gapNote}: ${s.transition}`,
        transition: s.transition,
        causes: s.causes,
        evidence: [countsLine(ev, 'requests'), ...stepLines(s, 'requests')],
      };
    },
  },
  ...partialRules('requests'),
  {
    name: 'tcp-reset',
    description:
      'The server side answers with a TCP RST: the connection is refused, the network delivered it. A RST whose sequence number is not 0 answers no SYN: with nothing else of the flow captured, it resets a connection made before the captures began, and whether that worked is not observed.',
    decide(ev) {
      const G = ev.groups;
      const rst = ev.flow.protocol === 'tcp' ? ev.flow.replies.find((g) => (G.tcpFlags[g]! & TCP_RST) !== 0) : undefined;
      if (rst === undefined) return null;
      // A RST after the server sent data or a FIN, or after the client's FIN, closes a
      // connection that worked: servers and proxies abort finished or idle connections that way.
      const hdr = ev.flow.client.includes(':') ? 40 : 20;
      // A SYN-ACK alone is not enough: a full accept queue or a proxy aborts right after it.
      const accepted = ev.flow.replies.some((g) => (G.tcpFlags[g]! & (TCP_RST | TCP_SYN)) === 0 && ((G.tcpFlags[g]! & TCP_FIN) !== 0 || consumesSequence(G, g, hdr)));
      const clientClosed = ev.flow.requests.some((g) => (G.tcpFlags[g]! & TCP_FIN) !== 0);
      if (accepted || clientClosed) return null;
      // A RST that answers no SYN (PacketGroups.refusesSyn), with no SYN of the flow captured,
      // resets a connection made before the captures began: no refusal.
      const st = G.store;
      const i = st.order[G.to(rst) - 1]!;
      const from = `${st.addrs.text[st.src[i]!]}:${st.sport[i]}`;
      const syn = ev.flow.requests.some((g) => (G.tcpFlags[g]! & (TCP_SYN | TCP_ACK)) === TCP_SYN);
      if (!syn && !G.refusesSyn(rst)) {
        if (ev.flow.requests.length > 0) return null;
        return {
          kind: 'not-observed',
          summary: `only a RST from ${from} is captured: its sequence number is not 0, so it answers no SYN and resets a connection made before the captures began; whether that connection worked is not captured`,
          transition: null,
          causes: [],
          evidence: [`a TCP RST from ${from}, sequence number ${G.seq[rst]}`, countsLine(ev, 'requests')],
        };
      }
      const handshook = ev.flow.replies.some((g) => (G.tcpFlags[g]! & SYN_ACK_RST) === (TCP_SYN | TCP_ACK));
      const reject: Cause = { text: 'a REJECT --reject-with tcp-reset rule answers for it', check: `${familyOf(ev.flow.server).iptables} -S | grep -i reject` };
      // The SYNs never reached the server's side of the path: a node answered in its name.
      const s = requestsStop(ev);
      if (s && s.covered) {
        return {
          kind: 'rejected',
          summary: `the connection is refused before it reaches ${ev.flow.server}: the SYNs stop after ${pointName(s.from)} and a RST comes back in ${from}'s name`,
          transition: `${s.from.host} answers for ${ev.flow.server} with a RST after ${pointName(s.from)}`,
          causes: [{ ...reject, text: `a REJECT --reject-with tcp-reset rule on ${s.from.host} answers for it (a NetworkPolicy, or a host firewall)`, check: `${familyOf(ev.flow.server).iptables} -S | grep -i reject  # on ${s.from.host}` }],
          evidence: [`a TCP RST from ${from}`, countsLine(ev, 'requests'), ...stepLines(s, 'requests')],
        };
      }
      return {
        kind: 'rejected',
        summary: handshook
          ? `the connection is reset before any answer: ${from} accepts it (SYN-ACK), then sends a RST`
          : `the connection is refused: ${from} answers the SYN with a RST`,
        transition: null,
        causes: handshook
          ? [
              { text: `the server's accept queue overflows (net.ipv4.tcp_abort_on_overflow=1) or the application aborts the connection`, check: `nstat -az TcpExtListenOverflows TcpExtListenDrops; sysctl net.ipv4.tcp_abort_on_overflow  # on the server` },
              reject,
            ]
          : [
          { text: `nothing listens on port ${ev.flow.serverPort ?? '?'} at ${ev.flow.server} (the application listens on another port, or is down)`, check: `ss -ltnp  # in the pod; kubectl get pod -o wide; compare containerPort/targetPort` },
          reject,
        ],
        evidence: [`a TCP RST from ${from}`, countsLine(ev, 'requests')],
      };
    },
  },
  {
    name: 'port-unreachable',
    description: 'The destination answers ICMP port unreachable for the flow itself (not for the overlay port): nothing listens there.',
    decide(ev) {
      const pu = ev.portUnreach;
      if (!pu || pu.from.startsWith('0.') || ev.flow.icmpErrors.some((e) => e.quotedUnderlay)) return null;
      return {
        kind: 'rejected',
        summary: `${pu.from} answers ICMP port unreachable: nothing listens on ${ev.flow.protocol}/${ev.flow.serverPort ?? '?'}`,
        transition: null,
        causes: [{ text: `nothing listens on ${ev.flow.protocol}/${ev.flow.serverPort ?? '?'} at ${ev.flow.server}`, check: 'ss -lunp  # in the pod' }],
        evidence: [errorLine(pu)],
      };
    },
  },
  {
    name: 'admin-prohibited',
    description: 'An ICMP administratively prohibited came back: a REJECT rule refuses the flow.',
    decide(ev) {
      const ap = ev.adminProhibited;
      if (!ap) return null;
      return {
        kind: 'rejected',
        summary: `${ap.from} rejects it: ICMP ${ap.meaning}`,
        transition: null,
        causes: [{ text: `a REJECT rule on ${ap.from}`, check: `${familyOf(ap.from).iptables} -S | grep -i reject` }],
        evidence: [errorLine(ap)],
      };
    },
  },
  {
    name: 'nothing-captured',
    description: 'Neither requests nor replies of the flow are at any station (only at `-i any` points or as ICMP errors).',
    decide(ev) {
      if (ev.flow.replies.length > 0 || ev.n > 0) return null;
      return { kind: 'not-observed', summary: 'no request of this flow was captured', transition: null, causes: [], evidence: [countsLine(ev, 'requests')] };
    },
  },
  {
    name: 'replies-acknowledged-unseen',
    description:
      'TCP: no reply of the flow is in any capture, yet the client acknowledges what the server sent (its acknowledgment number moves on, or it completes the handshake and sends nothing more): the replies got through, and the captures do not show that direction. A handshake followed by data the server is never seen to answer is not observed.',
    decide(ev) {
      const f = ev.flow;
      if (f.replies.length > 0 || f.protocol !== 'tcp' || ev.n === 0) return null;
      const G = ev.groups;
      const flags = (g: number) => G.tcpFlags[g]!;
      const acking = idsWhere(f.requests, (g) => (flags(g) & (TCP_ACK | TCP_SYN | TCP_RST)) === TCP_ACK);
      if (acking.length === 0) return null;
      const syns = idsWhere(f.requests, (g) => (flags(g) & (TCP_SYN | TCP_ACK)) === TCP_SYN);
      const firstSyn = syns.reduce((m, g) => Math.min(m, seenTime(ev, g)), Infinity);
      // A SYN answered: the client's first ACK after it acknowledges the SYN-ACK's sequence.
      const handshake = syns.length > 0 && acking.some((g) => seenTime(ev, g) > firstSyn);
      // Data received: the client's acknowledgment number moves on.
      const moved = new Set(acking.map((g) => G.ack[g]!)).size > 1;
      if (!handshake && !moved) return null;
      const server = `${f.server}:${f.serverPort ?? '?'}`;
      // The handshake alone proves the SYN-ACK came: when the client then sent data and its
      // acknowledgment never moved on, nothing says the server's answers to it came too (a
      // small SYN-ACK passes where a large response may not).
      const sentData = f.requests.some((g) => (flags(g) & TCP_SYN) === 0 && consumesSequence(G, g, f.client.includes(':') ? 40 : 20));
      if (!moved && sentData) {
        return {
          kind: 'not-observed',
          summary: `${reachLast(ev)}; the client completes the handshake, so ${server}'s SYN-ACK came, but its acknowledgment never moves on and no capture shows the replies: whether the answers to its data came is not observed`,
          transition: null,
          causes: [{ text: 'capture the client side in both directions (no -Q filter) to see the replies', check: `tcpdump -ni any -w client-any.pcap host ${f.server} and port ${f.serverPort ?? ''}` }],
          evidence: [countsLine(ev, 'requests'), 'no reply at any capture point', 'the client acknowledges the SYN-ACK, then no new data'],
        };
      }
      const proof = handshake ? 'completes the handshake after its SYN' : 'acknowledges new data from it';
      return {
        kind: 'delivered',
        summary: `${reachLast(ev)} and the client ${proof}: ${server}'s replies got through, though no capture shows them (a capture of one direction only, as tcpdump -Q in writes)`,
        transition: null,
        causes: [],
        evidence: [countsLine(ev, 'requests'), 'no reply at any capture point', `the client ${proof} (${plural(acking.length, 'segments')} with ACK)`],
      };
    },
  },
  {
    name: 'replies-unseeable',
    description:
      'No reply of the flow is in any capture, and no capture on its path could show one: each is blind to that direction (blind.ts). Whether replies came is not observed.',
    decide(ev) {
      if (ev.flow.replies.length > 0 || ev.n === 0 || ev.repStations.length > 0) return null;
      const blind = ev.flow.path.filter((p) => ev.points[p]!.role !== 'any' && !ev.repStations.includes(p)).map((p) => pointName(ev.points[p]!));
      return {
        kind: 'not-observed',
        summary: `${reachLast(ev)}; no capture on the way back could show a reply (${listed(blind)} never ${blind.length === 1 ? 'shows' : 'show'} packets towards the pod), so whether one came is not observed`,
        transition: null,
        causes: [{ text: 'capture both directions on the node of the client, without a -Q filter', check: `tcpdump -ni any -w ${ev.points[ev.stations[0]!]!.host}-any.pcap host ${ev.flow.server}` }],
        evidence: [countsLine(ev, 'requests'), `no station for replies: ${listed(blind)} blind towards the pod`],
      };
    },
  },
  {
    name: 'captures-end-after-requests',
    description:
      'No reply of the flow is in any capture, and every capture where one would be seen ends (its last packet, or its known stop) less than a second after the first request: too soon to tell a missing reply from one not yet come.',
    decide(ev) {
      if (ev.flow.replies.length > 0 || ev.n === 0) return null;
      const watched = watchedAfterRequest(ev, ev.repStations);
      if (!(watched < REPLY_WAIT_NS)) return null;
      const ms = Math.max(0, Math.round(watched / 1e6));
      // A known stop (a kit's manifest, a pcapng's statistics) is when the capture ended; a
      // plain file's last packet only bounds it: tcpdump may have run on in silence.
      const known = ev.repStations.every((p) => ev.points[p]!.stopKnown);
      const end = known ? `the captures stopped ${ms} ms after the first request` : `the captures hold nothing later than ${ms} ms after the first request, and when they stopped is not recorded`;
      return {
        kind: 'not-observed',
        summary: `${reachLast(ev)} and no reply is seen, but ${end}: too soon to say that none came`,
        transition: null,
        causes: [{ text: 'capture again and keep tcpdump running a few seconds after reproducing', check: `tcpdump -ni any -w capture.pcap host ${ev.flow.server}` }],
        evidence: [countsLine(ev, 'requests'), `every capture where a reply would be seen ${known ? 'stopped' : 'holds its last packet'} within ${ms} ms of the first request`],
      };
    },
  },
  {
    name: 'no-reply',
    description: 'Requests reach the last capture point and no reply is seen anywhere: the destination (or the last hop not captured) does not answer.',
    decide(ev) {
      if (ev.flow.replies.length > 0) return null;
      const f = ev.flow;
      const last = ev.points[ev.stations[ev.stations.length - 1]!]!;
      const podReached = last.role === 'pod';
      // SLL v1's inner point is every inner interface of the node at once, the pod's veth too.
      const where = podReached ? '' : last.interface === SLL1_INNER ? ` (the last capture point: ${last.host}'s tcpdump -i any in SLL v1 records no interface, so whether they went on to the pod cannot be told)` : " (the last capture point; the pod's veth was not captured)";
      return {
        kind: 'no-reply',
        summary: `${reachLast(ev)}${where}; no reply is seen at any capture point`,
        transition: podReached ? `delivered to the pod on ${last.host}, which does not answer` : null,
        causes: [
          f.protocol === 'tcp'
            ? { text: 'a firewall in the pod or on the node drops the SYN silently (DROP, not REJECT)', check: `${familyOf(f.server).iptables} -S INPUT  # in the pod's netns: nsenter -t <pid> -n ${familyOf(f.server).iptables} -S` }
            : { text: 'the destination does not answer (firewall DROP in the pod, or the application ignores it)', check: `nsenter -t <pid> -n ${familyOf(f.server).iptables} -S INPUT; ss -lunp` },
          {
            text: `the pod's replies leave by another interface or are dropped by reverse-path filtering on ${last.host}`,
            check: familyOf(f.client).v6 ? `ip -6 route get ${f.client}  # in the pod; ip6tables -t raw -S | grep rpfilter` : `ip route get ${f.client}  # in the pod; sysctl net.ipv4.conf.all.rp_filter`,
          },
          ...(podReached ? [] : [ipForwardOrForwardChain(last.host, f.server)]),
        ],
        evidence: [countsLine(ev, 'requests'), 'no reply at any capture point'],
      };
    },
  },
  {
    name: 'replies-after-last-request',
    description:
      "Replies are seen on their way back, last at a point whose capture ends on the flow's own request: they came after the last packet it wrote, so whether they reached it is not captured (its tcpdump stopped then, or the replies were lost; a later retry it lacks would have told).",
    decide(ev) {
      const s = repliesStop(ev);
      if (!s || s.covered || !s.toEndsOnCounterpart || unfinishedHandshake(ev)) return null;
      return {
        kind: 'not-observed',
        summary: `${plural(s.outside.length, ev.replyWhat)} passed ${pointName(s.from)} after ${pointName(s.to)}'s capture wrote its last packet, this flow's own request: whether ${s.outside.length === 1 ? 'it' : 'they'} reached ${pointName(s.to)} is not captured`,
        transition: null,
        causes: [{ text: `capture ${pointName(s.to)} again while reproducing, and stop it a few seconds after the last request`, check: `tcpdump -i ${s.to.interface} -w ${s.to.node}-${s.to.interface}.pcap` }],
        evidence: [countsLine(ev, 'requests'), countsLine(ev, 'replies'), ...stepLines(s, 'replies')],
      };
    },
  },
  {
    name: 'replies-outside-windows',
    description:
      'Requests reach the server and its replies are seen on their way back, last at a point whose next capture does not cover their time: delivered as far as the captures show. A reply that passed while a capture was not running is neither delivered nor dropped there; but SYN-ACKs the client answers by sending its SYN again never reached it (handshake-unfinished).',
    decide(ev) {
      const s = repliesStop(ev);
      // A client that resent its SYN after the SYN-ACK passed never got it: lost, window or not.
      if (!s || s.covered || unfinishedHandshake(ev)) return null;
      return {
        kind: 'delivered',
        summary: `delivered as far as the captures show: requests reach ${pointName(ev.points[ev.stations[ev.stations.length - 1]!]!)}; ${plural(s.outside.length, ev.replyWhat)} passed ${pointName(s.from)} while ${pointName(s.to)}'s capture was not running`,
        transition: null,
        causes: [],
        evidence: [countsLine(ev, 'requests'), countsLine(ev, 'replies'), ...stepLines(s, 'replies')],
      };
    },
  },
  {
    name: 'replies-stop-at-silent-pod',
    description:
      "Replies stop right before the client pod's own interface, whose capture shows no packet towards the pod at all though its node's other points do, and where the pod sent nothing that could tell whether it received (no TCP, no echo reply; blind.ts): a capture of one direction looks the same as everything towards the pod lost there. Whether the replies reached the pod is not observed.",
    decide(ev) {
      const s = repliesStop(ev);
      if (!s || !s.covered || !s.to.podIps.includes(ev.flow.client)) return null;
      const b = ev.blind.find((x) => x.point === s.to.id && x.towardsPod && !x.proven);
      if (!b) return null;
      return {
        kind: 'not-observed',
        summary: `requests arrive; ${ev.replyWhat} reach ${pointName(s.from)}, and ${pointName(s.to)}'s capture shows no packet towards its pod at all (${plural(b.seen, 'packets')} from it), nor does the pod send anything there that would show what it received: whether the ${ev.replyWhat} reached it is not observed`,
        transition: null,
        causes: [
          {
            text: "capture the pod's interface in both directions (no -Q filter), or inside the pod: under an eBPF datapath (Cilium's host routing) the host's device never shows what goes to the pod",
            check: `tcpdump -ni ${s.to.interface} -w ${s.to.node}-${s.to.interface}.pcap host ${ev.flow.client}  # or: nsenter -t <pid> -n tcpdump -ni eth0 -w pod.pcap`,
          },
        ],
        evidence: [countsLine(ev, 'replies'), `${pointName(s.to)}: ${b.seen} from its pod, none towards it; ${b.elsewhere} towards it at ${s.to.host}'s other points`, ...stepLines(s, 'replies')],
      };
    },
  },
  {
    name: 'replies-stop-where-requests-unseen',
    description:
      "Replies stop right before the client pod's own interface, whose capture holds none of the flow's requests either, though they crossed it while it was recording (its pod sent them; they were seen further on its node): that capture missed this flow's packets, so whether the replies reached the pod is not observed. Not where the interface is blind to what its pod sends (blind.ts): there a missing reply still tells.",
    decide(ev) {
      const s = repliesStop(ev);
      const f = ev.flow;
      if (!s || !s.covered || s.to.role !== 'pod' || s.to.host !== f.clientNode || !s.to.podIps.includes(f.client)) return null;
      if (ev.blind.some((b) => b.point === s.to.id && !b.towardsPod)) return null;
      const missed = ownRequestsMissed(ev, s.to);
      if (missed === 0) return null;
      return {
        kind: 'not-observed',
        summary: `requests arrive; ${ev.replyWhat} reach ${pointName(s.from)}, never ${pointName(s.to)}, but ${pointName(s.to)}'s capture holds none of the flow's ${ev.what} either, though ${missed} crossed it while it was recording: it missed this flow's packets, so whether the ${ev.replyWhat} reached the pod is not observed`,
        transition: null,
        causes: [recaptureCause(s.to)],
        evidence: [countsLine(ev, 'requests'), countsLine(ev, 'replies'), ...stepLines(s, 'replies'), `${pointName(s.to)} holds none of the ${ev.what}; ${missed} crossed it while its capture was recording (seen next on ${s.to.host}, sent by its own pod)`],
      };
    },
  },
  missedByCaptureRule('replies'),
  {
    name: 'replies-stop',
    description: 'Requests arrive; replies are seen at one capture point and never at the next one, whose capture covers their time.',
    decide(ev) {
      const s = repliesStop(ev);
      if (!s || !s.covered) return null;
      return {
        kind: 'reply-dropped',
        summary: `requests arrive; ${ev.replyWhat} reach ${pointName(s.from)}, never ${pointName(s.to)}${s.gapNote}: ${s.transition}`,
        transition: s.transition,
        causes: s.causes,
        evidence: [countsLine(ev, 'replies'), ...stepLines(s, 'replies')],
      };
    },
  },
  ...partialRules('replies'),
  {
    name: 'handshake-unfinished',
    description:
      'TCP: the server answers the SYN with a SYN-ACK, yet the client resends its SYN after it and never acknowledges: the SYN-ACKs leave the server and never reach the client, though every capture saw them.',
    decide(ev) {
      const h = unfinishedHandshake(ev);
      if (!h) return null;
      const { synAcks, syns } = h;
      // The SYN-ACKs seen only where no station is (an `-i any` point): nowhere to name.
      if (ev.repLast < 0) return null;
      const last = ev.points[ev.repStations[ev.repLast]!]!;
      const server = `${ev.flow.server}:${ev.flow.serverPort ?? '?'}`;
      return {
        kind: 'reply-dropped',
        summary: `the handshake never completes: ${server} answers with ${plural(synAcks.length, 'SYN-ACKs')} (last seen at ${pointName(last)}) and the client resends its SYN ${syns.length - 1} time${syns.length === 2 ? '' : 's'}: the SYN-ACKs never reach it`,
        transition: `the SYN-ACKs leave ${ev.flow.server} and never reach ${ev.flow.client}, after ${pointName(last)}`,
        causes: [
          { text: `a stateful filter on the way back drops the SYN-ACKs (a FORWARD or INPUT rule on the client's node, conntrack marking them INVALID after an asymmetric route)`, check: `${familyOf(ev.flow.client).iptables} -S FORWARD; conntrack -S  # on the client's node` },
          { text: `the SYN-ACKs take another way back (asymmetric routing, reverse-path filtering on the client's node)`, check: familyOf(ev.flow.client).v6 ? `ip -6 route get ${ev.flow.server}` : `ip route get ${ev.flow.server}; sysctl net.ipv4.conf.all.rp_filter` },
          { text: 'capture the client side (its pod veth and its node) to see where they stop', check: `tcpdump -ni any 'tcp[tcpflags] & (tcp-syn) != 0 and host ${ev.flow.server}'` },
        ],
        evidence: [countsLine(ev, 'requests'), countsLine(ev, 'replies'), `${plural(syns.length, 'SYNs')} from the client, ${syns.length - 1} after the first SYN-ACK; no ACK of it`],
        repliesStopAfter: pointName(last),
      };
    },
  },
  {
    name: 'echoes-refused-above-pmtu',
    description:
      'Echo requests cross every capture point; those never answered are all larger than the MTU an ICMP frag-needed (ICMPv6 packet too big) announced, and requests sent after the refusal are answered: delivered after path MTU discovery, refused beyond the last capture by the router that sent the ICMP.',
    decide(ev) {
      const f = ev.flow;
      const fn = ev.fragNeeded;
      if ((f.proto !== 1 && f.proto !== 58) || !fn || fn.mtu === null || f.replies.length === 0 || f.replies.length >= f.requests.length) return null;
      const refused = unansweredEchoes(ev);
      if (refused.length === 0) return null;
      const size = (g: number) => ev.groups.ipLen[g]!;
      const minLost = refused.reduce((m, g) => Math.min(m, size(g)), Infinity);
      if (!(minLost > fn.mtu)) return null;
      // As for a refusal between two captures: delivered only if something got through after it.
      const refusedAt = refused.reduce((m, g) => Math.min(m, seenTime(ev, g)), Infinity);
      if (!f.replies.some((g) => seenTime(ev, g) > refusedAt)) return null;
      const maxLost = refused.reduce((m, g) => Math.max(m, size(g)), 0);
      const last = pointName(ev.points[ev.stations[ev.stations.length - 1]!]!);
      const one = refused.length === 1;
      return {
        kind: 'delivered',
        summary: `delivered after path MTU discovery: ${fn.from} refused ${plural(refused.length, 'echo requests')} of ${range(minLost, maxLost)} bytes with ${tooBigWord(ev)} (MTU ${fn.mtu}) after ${last}, beyond the captures; what was sent after that was smaller and got through`,
        transition: null,
        causes: [pmtuCause(ev, fn.mtu, 'the path MTU', null, fn.from)],
        evidence: [
          countsLine(ev, 'requests'),
          countsLine(ev, 'replies'),
          `${plural(refused.length, 'echo requests')} (sequence ${listed(refused.slice(0, 8).map((g) => String(ev.groups.seq[g]!)))}${refused.length > 8 ? ', …' : ''}) never answered, ${one ? 'larger' : 'all larger'} than the MTU: smallest ${minLost} bytes > MTU ${fn.mtu}`,
          errorLine(fn),
        ],
      };
    },
  },
  {
    name: 'echoes-unanswered-beyond',
    description:
      'Echo requests cross every capture point and some of them are answered, while others never are (no echo reply with their sequence number, though the captures ran on long after them): they or their replies were lost beyond the captures.',
    decide(ev) {
      const f = ev.flow;
      // Fewer echo replies than requests, or none is unanswered (but for duplicated replies, which
      // this lets pass): a healthy ping's sequence numbers are not walked.
      if ((f.proto !== 1 && f.proto !== 58) || f.replies.length === 0 || f.replies.length >= f.requests.length || ev.icmpErrors.length > 0) return null;
      const unanswered = unansweredEchoes(ev);
      if (unanswered.length === 0) return null;
      const first = pointName(ev.points[ev.stations[ev.stations.length - 1]!]!);
      const back = ev.repStations.length > 0 ? pointName(ev.points[ev.repStations[0]!]!) : null;
      const one = unanswered.length === 1;
      const where = `after ${first} on ${one ? 'its' : 'their'} way to ${f.server}${back ? `, or as ${one ? 'an echo reply' : 'echo replies'} before ${back}` : ''}`;
      return {
        kind: 'partial-loss',
        summary: `${plural(unanswered.length, 'echo requests')} of ${ev.n} never answered: ${one ? 'it crosses' : 'they cross'} every capture point, so ${one ? 'it or its echo reply was' : 'they or their echo replies were'} lost beyond the captures (${where})`,
        transition: null,
        causes: [
          { text: 'intermittent loss further along the path (a congested or lossy underlay link, a rate limit, conntrack table full)', check: 'ip -s link; nstat -az | grep -i -e drop -e discard; conntrack -S  # on each node of the path' },
          { text: `capture further along the path (the other node's eth0, its overlay device and ${f.server}'s veth) to see where they stop`, check: `tcpdump -ni any -w path.pcap icmp${f.proto === 58 ? '6' : ''} and host ${f.server}` },
        ],
        evidence: [countsLine(ev, 'requests'), countsLine(ev, 'replies'), `${plural(unanswered.length, 'echo requests')} (sequence ${listed(unanswered.slice(0, 8).map((g) => String(ev.groups.seq[g]!)))}${unanswered.length > 8 ? ', …' : ''}) with no echo reply, though a capture where replies are seen was recording then and showed later replies or ran on ${REPLY_WAIT_NS / 1e9} s or more`],
      };
    },
  },
  {
    name: 'reply-data-unacknowledged',
    description:
      "TCP: the server sent data the client never acknowledges — a later segment of the server's is in the captures, and the client, still sending a second or more after it, acknowledges only up to a point before it: those bytes never reached the client. Where no capture holds them, they were lost before the first capture on their way back; else after the last capture that saw them.",
    decide(ev) {
      const f = ev.flow;
      if (f.protocol !== 'tcp' || f.replies.length === 0) return null;
      const gap = unacknowledgedData(ev);
      if (!gap) return null;
      const G = ev.groups;
      const seen = gap.held === null ? [] : ev.repStations.filter((p) => G.seenAt(gap.held!, p));
      const after = seen.length > 0 ? pointName(ev.points[seen[seen.length - 1]!]!) : null;
      const first = ev.repStations.length > 0 ? pointName(ev.points[ev.repStations[0]!]!) : 'the first capture on their way back';
      const where = after ? `they were captured up to ${after} and lost after it` : `they were lost before ${first}, where no capture saw them`;
      const server = `${f.server}:${f.serverPort ?? '?'}`;
      // Relative to the server's initial sequence number when its SYN-ACK is in the captures, as Wireshark shows them.
      const synAck = f.replies.find((g) => (G.tcpFlags[g]! & SYN_ACK_RST) === (TCP_SYN | TCP_ACK));
      const num = (n: number) => (synAck === undefined ? `${n}` : `${(n - G.seq[synAck]!) >>> 0}`);
      const rel = synAck === undefined ? '' : 'relative ';
      return {
        kind: 'reply-dropped',
        summary: `${server} sent ${gap.bytes} bytes the client never receives: its segment at ${rel}sequence ${num(gap.seq)} is captured, the client's acknowledgment stays at ${num(gap.ack)}; ${where}`,
        transition: after ? `the server's data passes ${after} and never reaches ${f.client}` : null,
        causes: [
          { text: `segments larger than the path MTU dropped without a frag-needed coming back (an MTU black hole: the handshake and bare ACKs pass, full-size data does not)`, check: `ip link show | grep mtu  # on both nodes: the pods' MTU must fit the overlay's; iptables -S | grep -i icmp` },
          { text: `capture the rest of the way back (${after ? `after ${after}` : `before ${first}`}) to see where the data stops`, check: `tcpdump -ni any -w path.pcap host ${f.server} and port ${f.serverPort ?? ''}` },
        ],
        evidence: [
          countsLine(ev, 'requests'),
          countsLine(ev, 'replies'),
          `the server's segment at ${rel}sequence ${num(gap.seq)} (first seen ${sec(gap.at)}) is in the captures; the client's last segment, ${sec(gap.lastAt)}, acknowledges only up to ${num(gap.ack)}: ${gap.bytes} bytes never arrived`,
          gap.held === null ? `no captured segment holds byte ${num(gap.ack)}` : `the segment holding byte ${num(gap.ack)} was last captured at ${after ?? 'no station'}`,
        ],
        ...(after ? { repliesStopAfter: after } : {}),
      };
    },
  },
  {
    name: 'tcp-recovered',
    description:
      'Some TCP segments were lost at one step while others passed, and every lost one that carried data was sent again and acknowledged in full by the other side: TCP recovered, every byte arrived, and no rule found a stop. Delivered; the step and how many were lost there are said.',
    decide(ev) {
      for (const dir of ['requests', 'replies'] as const) {
        const x = lossyStep(ev, dir);
        if (!x || !recovered(ev, x.s, dir)) continue;
        const passed = (dir === 'requests' ? ev.reqAt : ev.repAt)[x.k + 1]!;
        const noun = dir === 'requests' ? ev.what : ev.replyWhat;
        const peer = dir === 'requests' ? 'the server' : 'the client';
        return {
          kind: 'delivered',
          summary: `TCP recovered: ${passed} of ${passed + x.s.lost.length} ${noun} passed from ${pointName(x.s.from)} to ${pointName(x.s.to)}; ${x.s.lost.length === 1 ? 'the other was' : `the other ${x.s.lost.length} were`} lost on that step, sent again and acknowledged by ${peer}: no byte is missing`,
          transition: null,
          causes: [],
          evidence: [countsLine(ev, dir), ...stepLines(x.s, dir), `each lost segment's sequence number was sent again later, and ${peer} acknowledged all of it`],
        };
      }
      return null;
    },
  },
  {
    name: 'delivered',
    description:
      'Requests and replies got through: they cross every capture point of the path that was recording when they passed, and a point that holds fewer is named. A TCP segment missing from one capture but acknowledged by the peer (and never resent) got through: the capture missed it.',
    decide(ev) {
      const m = missedNote(ev);
      // Captures taken one after another: each point saw requests and replies, none the same packet.
      const G = ev.groups;
      const atMostOne = (g: number) => ev.stations.filter((p) => G.seenAt(g, p)).length <= 1;
      if (ev.stations.length > 1 && ev.flow.requests.every(atMostOne) && ev.flow.replies.every(atMostOne)) {
        return {
          kind: 'delivered',
          summary: `at every capture point ${ev.what} and their ${ev.replyWhat} were seen (up to ${ev.n} and ${ev.nReplies} at one point), but no packet at two points: the captures do not overlap in time, so no packet can be followed from one point to the next`,
          transition: null,
          causes: [],
          evidence: [countsLine(ev, 'requests'), countsLine(ev, 'replies'), 'no packet of the flow was captured at two points'],
        };
      }
      // Stations of either direction that hold fewer than the most one saw, in path order. The
      // evidence says why where a step knows (outside a capture, acknowledged, bare ACKs).
      const short = (order: number[], at: number[], most: number) => order.filter((_, i) => at[i]! < most);
      const fewerIds = new Set([...short(ev.stations, ev.reqAt, ev.n), ...short(ev.repStations, ev.repAt, ev.nReplies)]);
      const fewer = ev.flow.path.filter((p) => fewerIds.has(p)).map((p) => pointName(ev.points[p]!));
      const near = lastShortOfClient(ev);
      // Points of the path that are no station of a direction (a pod's capture blind to it): every capture point that could show them.
      const blindTo = ev.flow.path.filter((p) => ev.blind.some((b) => b.point === p) && (!ev.stations.includes(p) || !ev.repStations.includes(p))).map((p) => pointName(ev.points[p]!));
      const every = blindTo.length > 0 ? `cross every capture point that could show them (${listed(blindTo)} ${blindTo.length === 1 ? 'shows' : 'show'} one direction only)` : 'cross every capture point';
      return {
        kind: 'delivered',
        summary: `${plural(ev.n, ev.what)} and ${plural(ev.nReplies, ev.replyWhat)} ${m.note ? `got through${m.note}` : fewer.length > 0 ? `got through; ${listed(fewer)} ${fewer.length === 1 ? 'holds' : 'hold'} fewer of them` : every}${near ? `; they were last captured at ${pointName(near)}, short of ${ev.flow.client}: whether they reach it is not captured` : ''}`,
        transition: null,
        causes: [],
        evidence: [countsLine(ev, 'requests'), countsLine(ev, 'replies'), ...m.lines, ...(near ? [`the last capture on the way back is ${pointName(near)}, a node's ${ROLE_NOUNS[near.role]}, not the client's own interface`] : [])],
      };
    },
  },
];

/**
 * Echo replies and UDP answers carry no proof of arrival (TCP's acknowledgments do): the last
 * capture on their way back when it is a node's NIC, overlay device or bridge, beyond which
 * whether they reach the client is not captured. Null when it is the client's pod interface, or
 * a point whose place is unknown.
 */
function lastShortOfClient(ev: Evidence): CapturePoint | null {
  if (ev.flow.protocol === 'tcp' || ev.repStations.length === 0) return null;
  const near = ev.points[ev.repStations[ev.repStations.length - 1]!]!;
  // A role the packets suggested (a corpus file, an unknown name) says too little of where the point is.
  if ((near.role !== 'nic' && near.role !== 'overlay' && near.role !== 'bridge') || near.roleSource === 'inferred' || near.node !== near.host) return null;
  // The client's requests leave this host with an initial TTL: it is the host itself (host network).
  const G = ev.groups;
  const req = ev.flow.requests.find((g) => G.seenAt(g, near.id));
  if (req !== undefined && INITIAL_TTLS.has(G.store.ttl[G.sightingAt(req, near.id)]!)) return null;
  return near;
}

/** The first rule that answers, and what it said. */
export function decide(ev: Evidence): RuleResult & { rule: VerdictRule } {
  for (const rule of RULES) {
    const r = rule.decide(ev);
    if (r) return { ...r, rule };
  }
  throw new Error('the delivered rule always answers');
}
