/**
 * The lessons: one ping followed from pod A's veth to pod B's on the lab's healthy samples,
 * and the fault samples explained from their captures. Sentences quote facts (read from the
 * packets) and never the author's numbers; each claim is re-checked against the packets by
 * lib/learn/lessons.test.ts and shown with its result on the page.
 */
import { ETHERNET_HEADER, ETHERNET_MTU, IPV4_HEADER, UDP_HEADER, VXLAN_HEADER, type StationFacts } from './facts';
import type { Claim, Lesson, StepFacts } from './types';

const claim = (text: string, holds: boolean): Claim => ({ text, holds });

/** The station's packet on the walk; lessons only name stations their sample captured. */
function at(f: StepFacts, station: string): StationFacts {
  const s = f.walk.at[station];
  if (!s) throw new Error(`${f.walk.sample}: the packet was not captured at ${station}`);
  return s;
}

/** The /24 network of an address: flannel gives each node a /24 and its VTEP the first address. */
export function net24(ip: string): string {
  return ip.split('.').slice(0, 3).concat('0').join('.');
}

const code = (s: string) => `\`${s}\``;
const list = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);
const hex2 = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;
/** The bytes after the first `n`: what a tunnel carries. */
const after = (s: StationFacts, n: number) => s.hex.slice(n * 2);
const countsText = (f: StepFacts, side: 'requestsAt' | 'repliesAt') =>
  f.walk.path.map((s) => `${s} ${f.walk[side][s] ?? 0}`).join(', ');
/** The last station of the path whose capture saw at least one packet of `side`. */
function lastSeen(f: StepFacts, side: 'requestsAt' | 'repliesAt', order = f.walk.path): string | undefined {
  return [...order].reverse().find((s) => (f.walk[side][s] ?? 0) > 0);
}
function nextAfter(order: string[], s: string | undefined): string | undefined {
  return s === undefined ? undefined : order[order.indexOf(s) + 1];
}

// ——— flannel VXLAN ———————————————————————————————————————————————————————————————

const VX = {
  vethA: 'node1/veth3a1b2c4d',
  cniA: 'node1/cni0',
  vtepA: 'node1/flannel.1',
  nicA: 'node1/eth0',
  nicB: 'node2/eth0',
  vtepB: 'node2/flannel.1',
  cniB: 'node2/cni0',
  vethB: 'node2/veth7e9d0f12',
} as const;
const VX_PATH = Object.values(VX);
const VX_STATIONS: Lesson['stations'] = [
  { id: VX.vethA, kind: 'veth' },
  { id: VX.cniA, kind: 'bridge' },
  { id: VX.vtepA, kind: 'vtep' },
  { id: VX.nicA, kind: 'nic' },
  { id: VX.nicB, kind: 'nic' },
  { id: VX.vtepB, kind: 'vtep' },
  { id: VX.cniB, kind: 'bridge' },
  { id: VX.vethB, kind: 'veth' },
];
const VXLAN_OVERHEAD_SUM = `${IPV4_HEADER} + ${UDP_HEADER} + ${VXLAN_HEADER} + ${ETHERNET_HEADER}`;

const vxlan: Lesson = {
  id: 'vxlan',
  title: 'flannel VXLAN',
  blurb: 'Pod to pod across two nodes through flannel.1: route, neighbour, FDB, VNI, UDP 8472.',
  sample: 'vxlan-healthy',
  path: VX_PATH,
  probe: { kind: 'echo-request' },
  stations: VX_STATIONS,
  underlay: 'UDP (VXLAN)',
  intro: [
    'Pod A on node1 pings pod B on node2. Each node has a bridge for its pods (cni0), a VXLAN device (flannel.1) and its NIC on the underlay (eth0). The lab captured the same ping at all eight points; each step below shows the bytes one capture recorded.',
  ],
  steps: [
    {
      id: 'pod-sends',
      title: 'Pod A sends an echo request',
      station: VX.vethA,
      focus: ['link', 'ip'],
      text: (f) => {
        const s = at(f, VX.vethA);
        return [
          `Pod A (${s.ip.src}) pings pod B (${s.ip.dst}). Pod B is not in pod A's /24, so pod A hands the packet to its default gateway: the Ethernet frame goes from pod A's MAC ${s.eth!.src} to the gateway's, ${s.eth!.dst}.`,
          `tcpdump on the host end of pod A's veth pair records exactly what pod A sent: ${s.capLen} bytes, ${ETHERNET_HEADER} of Ethernet, ${IPV4_HEADER} of IPv4, ${UDP_HEADER} of ICMP echo header and ${s.icmp!.dataLength} of ping data (${ETHERNET_HEADER} + ${IPV4_HEADER} + ${UDP_HEADER} + ${s.icmp!.dataLength} = ${s.capLen}).`,
          `The IPv4 header says TTL ${s.ip.ttl}, Don't Fragment ${s.ip.df ? 'set' : 'clear'} (Linux probes the path MTU, RFC 1191) and identification ${s.ip.id}. Nothing on the path changes that identification: it is how Hopscope finds this same packet at every other capture point.`,
        ];
      },
      claims: (f) => {
        const s = at(f, VX.vethA);
        return [
          claim(`The packet is an ICMP echo request from ${s.ip.src} to ${s.ip.dst}`, s.icmp?.type === 8),
          claim(`${s.ip.src} and ${s.ip.dst} are in different /24 networks`, net24(s.ip.src) !== net24(s.ip.dst)),
          claim(`The frame is ${ETHERNET_HEADER} + ${IPV4_HEADER} + ${UDP_HEADER} + ${s.icmp!.dataLength} = ${s.capLen} bytes`, s.capLen === ETHERNET_HEADER + IPV4_HEADER + UDP_HEADER + s.icmp!.dataLength),
          claim(`IPv4 total length ${s.ip.totalLength} = ${IPV4_HEADER} + ${UDP_HEADER} + ${s.icmp!.dataLength}`, s.ip.totalLength === IPV4_HEADER + UDP_HEADER + s.icmp!.dataLength),
          claim("Don't Fragment is set", s.ip.df),
        ];
      },
    },
    {
      id: 'bridge',
      title: 'cni0: the bridge is the gateway',
      station: VX.cniA,
      focus: ['link'],
      text: (f) => {
        const s = at(f, VX.cniA);
        const dst = net24(s.ip.dst);
        return [
          `cni0 is a Linux bridge: pod A's veth is one of its ports. It also holds the pods' gateway address, so the frame is addressed to cni0's own MAC, ${s.eth!.dst}. The bridge does not switch it to another port; it passes it up to node1's IP stack, which routes it.`,
          `This capture shows the frame as the bridge received it: the same ${s.capLen} bytes as on the veth, byte for byte.`,
          `node1's route for pod B's subnet is ${code(`${dst}/24 via ${dst} dev flannel.1 onlink`)}. flannel gives each node's flannel.1 the first address of the node's subnet, so the gateway ${dst} is node2's VXLAN device; ${code('onlink')} tells the kernel to reach it through flannel.1 even though no subnet on flannel.1 contains it.`,
        ];
      },
      claims: (f) => {
        const a = at(f, VX.vethA);
        const s = at(f, VX.cniA);
        return [
          claim(`The frame on cni0 is byte for byte the frame on ${a.iface}`, s.hex === a.hex),
          claim(`Its destination MAC ${s.eth!.dst} is the gateway's on both captures`, s.eth!.dst === a.eth!.dst),
        ];
      },
    },
    {
      id: 'route-to-vtep',
      title: 'Routed into flannel.1: TTL and MACs change',
      station: VX.vtepA,
      focus: ['link', 'ip'],
      text: (f) => {
        const b = at(f, VX.cniA);
        const s = at(f, VX.vtepA);
        return [
          `Routing leaves two marks in the bytes. The TTL went from ${b.ip.ttl} to ${s.ip.ttl} (every router decrements it by 1, RFC 791, and fixes the header checksum), and the Ethernet header is new: from flannel.1's own MAC ${s.eth!.src} to ${s.eth!.dst}, the MAC of node2's flannel.1.`,
          `That MAC does not come from ARP: this capture holds ${f.walk.arpAt[VX.vtepA]} ARP packets. flanneld wrote a permanent neighbour entry, ${code(`ip neigh add ${net24(s.ip.dst)} lladdr ${s.eth!.dst} dev flannel.1 nud permanent`)}, from what node2 published; flannel.1 is created with ${code('nolearning')}, so the kernel never floods to find it.`,
          `Everything else is as pod A sent it: same addresses, identification ${s.ip.id}, ${s.ip.totalLength} bytes of IPv4.`,
        ];
      },
      claims: (f) => {
        const b = at(f, VX.cniA);
        const s = at(f, VX.vtepA);
        return [
          claim(`TTL ${b.ip.ttl} − 1 = ${s.ip.ttl}`, s.ip.ttl === b.ip.ttl - 1),
          claim(`Source MAC changed ${b.eth!.src} → ${s.eth!.src}`, s.eth!.src !== b.eth!.src),
          claim(`Destination MAC changed ${b.eth!.dst} → ${s.eth!.dst}`, s.eth!.dst !== b.eth!.dst),
          claim('No ARP on flannel.1: the neighbour entry is static', f.walk.arpAt[VX.vtepA] === 0),
          claim(`Identification ${s.ip.id} and length ${s.ip.totalLength} unchanged`, s.ip.id === b.ip.id && s.ip.totalLength === b.ip.totalLength),
        ];
      },
    },
    {
      id: 'encapsulate',
      title: 'Encapsulated: FDB lookup and the outer headers',
      station: VX.nicA,
      focus: ['link', 'ip', 'udp', 'tunnel'],
      text: (f) => {
        const v = at(f, VX.vtepA);
        const s = at(f, VX.nicA);
        const over = s.outer!.totalLength - s.ip.totalLength;
        return [
          `flannel.1 is a VXLAN device. To send the frame it looks its destination MAC, ${s.innerEth!.dst}, up in its forwarding database, where flanneld put ${code(`bridge fdb append ${s.innerEth!.dst} dev flannel.1 dst ${s.outer!.dst} self permanent`)}. That names the remote end of the tunnel: node2's underlay address, ${s.outer!.dst}.`,
          `The whole ${v.capLen}-byte frame of the previous step travels untouched behind four new headers: outer Ethernet (${ETHERNET_HEADER} bytes, ${s.eth!.src} → ${s.eth!.dst}, found by ordinary ARP on the underlay), outer IPv4 (${IPV4_HEADER} bytes, ${s.outer!.src} → ${s.outer!.dst}, protocol ${s.outer!.protocol}), UDP (${UDP_HEADER} bytes, to port ${s.udp!.dst}) and VXLAN (${VXLAN_HEADER} bytes). ${ETHERNET_HEADER} + ${IPV4_HEADER} + ${UDP_HEADER} + ${VXLAN_HEADER} = ${s.capLen - v.capLen}: this frame is ${s.capLen} bytes, the inner one ${v.capLen}.`,
          `That is flannel.1's MTU: the outer IPv4 packet is ${s.outer!.totalLength} bytes for an inner IPv4 packet of ${s.ip.totalLength}, ${VXLAN_OVERHEAD_SUM} = ${over} more. On an underlay with the usual ${ETHERNET_MTU}-byte MTU the largest inner packet is ${ETHERNET_MTU} − ${over} = ${ETHERNET_MTU - over}.`,
          `The outer header has Don't Fragment ${s.outer!.df ? 'set' : 'clear'} while the inner one has it ${s.ip.df ? 'set' : 'clear'}: the kernel's VXLAN driver does not copy DF unless told to (${code('df inherit')}). The outer TTL, ${s.outer!.ttl}, is node1's default for a new packet, not the inner ${s.ip.ttl}.`,
        ];
      },
      claims: (f) => {
        const v = at(f, VX.vtepA);
        const s = at(f, VX.nicA);
        return [
          claim(`The bytes after the first ${s.capLen - v.capLen} are the flannel.1 frame, unchanged`, after(s, s.capLen - v.capLen) === v.hex),
          claim(`${ETHERNET_HEADER} + ${IPV4_HEADER} + ${UDP_HEADER} + ${VXLAN_HEADER} = ${s.capLen - v.capLen} bytes of outer headers`, s.capLen - v.capLen === ETHERNET_HEADER + IPV4_HEADER + UDP_HEADER + VXLAN_HEADER),
          claim(`Outer IPv4 ${s.outer!.totalLength} − inner ${s.ip.totalLength} = ${VXLAN_OVERHEAD_SUM}`, s.outer!.totalLength - s.ip.totalLength === IPV4_HEADER + UDP_HEADER + VXLAN_HEADER + ETHERNET_HEADER),
          claim(`The inner destination MAC ${s.innerEth!.dst} is the one routing chose on flannel.1`, s.innerEth!.dst === v.eth!.dst),
          claim(`Outer protocol ${s.outer!.protocol} is UDP`, s.outer!.protocol === 17 && !!s.udp),
          claim("Outer DF clear, inner DF set", !s.outer!.df && s.ip.df),
        ];
      },
    },
    {
      id: 'vni-and-port',
      title: 'The VNI, and the UDP source port as flow entropy',
      station: VX.nicA,
      focus: ['udp', 'tunnel'],
      text: (f) => {
        const s = at(f, VX.nicA);
        const ports = f.walk.outerPortsByFlow;
        const byProto = (p: string) => ports.find((x) => x.flow.startsWith(p))?.port;
        return [
          `The VXLAN header is ${VXLAN_HEADER} bytes: flags ${hex2(s.vxlan!.flags)}, whose I bit says the VNI is valid (RFC 7348 §5), then the 24-bit VXLAN Network Identifier, ${s.vxlan!.vni}. Every flannel.1 in the cluster uses VNI ${s.vxlan!.vni}; the receiving kernel hands the frame only to a VXLAN device with that VNI on that port.`,
          `The UDP destination port is ${s.udp!.dst}, the Linux kernel's original VXLAN port, which flannel keeps; IANA later assigned ${4789} (RFC 7348 §5). Both nodes must use the same port, and every firewall between them must let it through.`,
          `The UDP source port, ${s.udp!.src}, belongs to no socket. The kernel derives it from a hash of the inner packet's addresses and ports, so that switches and NICs that spread traffic by the outer 5-tuple (ECMP, RSS) spread the tunnelled flows too, as RFC 7348 §5 recommends. In this capture the ping uses ${s.udp!.src}, pod A's TCP connection ${byProto('tcp')} and its DNS query ${byProto('udp')}. Pod B's echo reply comes back with source port ${f.walk.replyAtEncap?.udp?.src}: Linux orders the addresses before hashing, so both directions of a flow get the same port.`,
        ];
      },
      claims: (f) => {
        const s = at(f, VX.nicA);
        const ports = f.walk.outerPortsByFlow.map((p) => p.port);
        return [
          claim(`VXLAN flags ${hex2(s.vxlan!.flags)}: the I bit is set`, (s.vxlan!.flags & 0x08) !== 0 && s.vxlan!.validVni),
          claim(`VNI ${s.vxlan!.vni}`, s.vxlan!.vni === at(f, VX.nicB).vxlan?.vni),
          claim(`Destination port ${s.udp!.dst}, not IANA's ${4789}`, s.udp!.dst !== 4789),
          claim(`${ports.length} inner flows, ${new Set(ports).size} different outer source ports`, ports.length >= 3 && new Set(ports).size === ports.length),
          claim(`The echo reply's outer source port is ${f.walk.replyAtEncap?.udp?.src}, the request's`, f.walk.replyAtEncap?.udp?.src === s.udp!.src),
        ];
      },
    },
    {
      id: 'underlay',
      title: 'Across the underlay to node2',
      station: VX.nicB,
      focus: ['link', 'ip', 'udp'],
      text: (f) => {
        const s = at(f, VX.nicB);
        return [
          `The underlay is a plain switch, so node2's eth0 records the same ${s.capLen} bytes node1's eth0 sent; the outer TTL is still ${s.outer!.ttl}, with no router between the nodes.`,
          `tcpdump sees packets on a NIC before netfilter does: a packet that an INPUT rule drops (UDP ${s.udp!.dst} filtered) still appears here, and only the next capture point misses it.`,
          `node2's kernel finds the UDP socket its flannel.1 opened on port ${s.udp!.dst}, reads VNI ${s.vxlan!.vni} and hands the inner frame to the VXLAN device with that VNI.`,
        ];
      },
      claims: (f) => {
        const a = at(f, VX.nicA);
        const s = at(f, VX.nicB);
        return [
          claim(`node2/eth0 recorded byte for byte what node1/eth0 sent`, s.hex === a.hex),
          claim(`Outer destination ${s.outer!.dst} is node2's address`, s.outer!.dst === a.outer!.dst),
        ];
      },
    },
    {
      id: 'decapsulate',
      title: 'Decapsulated on node2’s flannel.1',
      station: VX.vtepB,
      focus: ['link', 'ip'],
      text: (f) => {
        const n = at(f, VX.nicB);
        const s = at(f, VX.vtepB);
        return [
          `The ${n.capLen - s.capLen} bytes of outer Ethernet, IPv4, UDP and VXLAN are gone: what remains, ${s.capLen} bytes, is the frame node1's flannel.1 sent, byte for byte. Its destination MAC ${s.eth!.dst} is this device's own, so node2 accepts it and routes the IPv4 packet inside.`,
          `This device carries both directions: its capture holds ${f.walk.requestsAt[VX.vtepB]} echo requests and ${f.walk.repliesAt[VX.vtepB]} replies, which it encapsulates for node1 the same way.`,
        ];
      },
      claims: (f) => {
        const v = at(f, VX.vtepA);
        const n = at(f, VX.nicB);
        const s = at(f, VX.vtepB);
        return [
          claim(`Identical to the frame on ${v.station}`, s.hex === v.hex),
          claim(`${n.capLen} − ${s.capLen} = ${n.capLen - s.capLen} bytes of tunnel headers removed`, after(n, n.capLen - s.capLen) === s.hex),
        ];
      },
    },
    {
      id: 'route-to-pod',
      title: 'Routed to cni0 on node2',
      station: VX.cniB,
      focus: ['link', 'ip'],
      text: (f) => {
        const v = at(f, VX.vtepB);
        const s = at(f, VX.cniB);
        return [
          `node2 routes the packet by ${code(`${net24(s.ip.dst)}/24 dev cni0`)}: TTL ${v.ip.ttl} → ${s.ip.ttl}, and a new Ethernet header from cni0 (${s.eth!.src}) to pod B (${s.eth!.dst}), whose MAC node2 learned by ARP on cni0 (${f.walk.arpAt[VX.cniB]} ARP packets in this capture).`,
          "This step, from flannel.1 to cni0, crosses node2's FORWARD chain. Docker sets that chain's policy to DROP; with no rule accepting pod traffic, the captures stop right before this one. That is the first fault under Break it.",
        ];
      },
      claims: (f) => {
        const v = at(f, VX.vtepB);
        const s = at(f, VX.cniB);
        return [
          claim(`TTL ${v.ip.ttl} − 1 = ${s.ip.ttl}`, s.ip.ttl === v.ip.ttl - 1),
          claim(`Source MAC changed ${v.eth!.src} → ${s.eth!.src}`, s.eth!.src !== v.eth!.src),
          claim('pod B’s MAC was learned by ARP on cni0', f.walk.arpAt[VX.cniB]! > 0),
        ];
      },
    },
    {
      id: 'delivered',
      title: 'Delivered to pod B',
      station: VX.vethB,
      focus: ['ip', 'icmp'],
      text: (f) => {
        const a = at(f, VX.vethA);
        const s = at(f, VX.vethB);
        const n = f.walk.requestsAt[VX.vethA] ?? 0;
        return [
          `The bridge switches the frame to the port behind which it learned pod B's MAC: the veth. Pod B receives what pod A sent two routers earlier: same addresses, identification ${s.ip.id}, the same ${s.icmp!.dataLength} bytes of data, TTL ${a.ip.ttl} − 2 = ${s.ip.ttl}.`,
          `Pod B answers, and the reply walks the same path backwards. Every capture point saw all ${n} echo requests and all ${n} replies: the healthy baseline the faults below are compared with.`,
        ];
      },
      claims: (f) => {
        const a = at(f, VX.vethA);
        const c = at(f, VX.cniB);
        const s = at(f, VX.vethB);
        const n = f.walk.requestsAt[VX.vethA] ?? 0;
        return [
          claim('The frame on the veth is the frame on cni0', s.hex === c.hex),
          claim(`TTL ${a.ip.ttl} − 2 = ${s.ip.ttl}`, s.ip.ttl === a.ip.ttl - 2),
          claim('The ping data arrived unchanged', after(s, s.capLen - s.icmp!.dataLength) === after(a, a.capLen - a.icmp!.dataLength)),
          claim(`${n} requests and ${n} replies at every capture point`, n > 0 && VX_PATH.every((p) => f.walk.requestsAt[p] === n && f.walk.repliesAt[p] === n)),
        ];
      },
    },
  ],
};

// ——— flannel UDP ————————————————————————————————————————————————————————————————

const UD = {
  vethA: 'node1/veth5d2c8a1',
  brA: 'node1/docker0',
  tunA: 'node1/flannel0',
  nicA: 'node1/eth0',
  nicB: 'node2/eth0',
  tunB: 'node2/flannel0',
  brB: 'node2/docker0',
  vethB: 'node2/veth91be4f7',
} as const;
const UD_PATH = Object.values(UD);

const flannelUdp: Lesson = {
  id: 'flannel-udp',
  title: 'flannel UDP',
  blurb: 'The old backend: a TUN device and flanneld wrapping packets in UDP 8285 in user space.',
  sample: 'udp-healthy',
  path: UD_PATH,
  probe: { kind: 'echo-request' },
  stations: [
    { id: UD.vethA, kind: 'veth' },
    { id: UD.brA, kind: 'bridge' },
    { id: UD.tunA, kind: 'tun' },
    { id: UD.nicA, kind: 'nic' },
    { id: UD.nicB, kind: 'nic' },
    { id: UD.tunB, kind: 'tun' },
    { id: UD.brB, kind: 'bridge' },
    { id: UD.vethB, kind: 'veth' },
  ],
  underlay: 'UDP (flanneld)',
  intro: [
    "flannel's first backend, as in the seed incident: pods on docker0, a TUN device flannel0, and flanneld, a user-space process that reads packets from flannel0 and sends them to the other node's flanneld over UDP.",
  ],
  steps: [
    {
      id: 'pod-sends',
      title: 'Pod A sends an echo request',
      station: UD.vethA,
      focus: ['link', 'ip'],
      text: (f) => {
        const s = at(f, UD.vethA);
        return [
          `Pod A (${s.ip.src}) pings pod B (${s.ip.dst}) through its gateway, docker0: the frame goes from ${s.eth!.src} to docker0's MAC ${s.eth!.dst}. ${s.capLen} bytes: Ethernet, IPv4 (TTL ${s.ip.ttl}, identification ${s.ip.id}) and an ICMP echo request with ${s.icmp!.dataLength} bytes of data.`,
        ];
      },
      claims: (f) => {
        const s = at(f, UD.vethA);
        return [
          claim(`An ICMP echo request from ${s.ip.src} to ${s.ip.dst}`, s.icmp?.type === 8),
          claim(`${ETHERNET_HEADER} + ${IPV4_HEADER} + ${UDP_HEADER} + ${s.icmp!.dataLength} = ${s.capLen} bytes`, s.capLen === ETHERNET_HEADER + IPV4_HEADER + UDP_HEADER + s.icmp!.dataLength),
        ];
      },
    },
    {
      id: 'bridge',
      title: 'docker0: the bridge is the gateway',
      station: UD.brA,
      focus: ['link'],
      text: (f) => {
        const s = at(f, UD.brA);
        return [
          `docker0 is a bridge whose own address is the pods' gateway; the frame is for its MAC ${s.eth!.dst}, so node1 routes the packet. Its route for the whole pod network points at flannel0.`,
        ];
      },
      claims: (f) => [claim('The frame on docker0 is the frame on the veth', at(f, UD.brA).hex === at(f, UD.vethA).hex)],
    },
    {
      id: 'tun',
      title: 'flannel0: a TUN device, no Ethernet',
      station: UD.tunA,
      focus: ['ip'],
      text: (f) => {
        const b = at(f, UD.brA);
        const s = at(f, UD.tunA);
        return [
          `flannel0 is a TUN device: an IP interface whose other end is a file descriptor held by flanneld. It has no MAC, so there is no neighbour to look up and no Ethernet header: the capture (link type ${s.linkType}, raw IP) starts with the IPv4 header, ${s.capLen} bytes in all, ${b.capLen} − ${ETHERNET_HEADER} = ${s.capLen}.`,
          `Routing decremented the TTL, ${b.ip.ttl} → ${s.ip.ttl}. The kernel now queues the packet for flanneld to read.`,
        ];
      },
      claims: (f) => {
        const b = at(f, UD.brA);
        const s = at(f, UD.tunA);
        return [
          claim('No Ethernet header: raw IP', !s.eth && s.segments[0]?.role === 'ip'),
          claim(`Link type ${s.linkType} (LINKTYPE_RAW)`, s.linkType === 101),
          claim(`TTL ${b.ip.ttl} − 1 = ${s.ip.ttl}`, s.ip.ttl === b.ip.ttl - 1),
          claim(`The IPv4 packet is the docker0 frame minus its ${ETHERNET_HEADER}-byte Ethernet header, TTL and checksum aside`, s.capLen === b.capLen - ETHERNET_HEADER && s.ip.id === b.ip.id),
        ];
      },
    },
    {
      id: 'encapsulate',
      title: 'flanneld wraps it in UDP',
      station: UD.nicA,
      focus: ['ip', 'udp'],
      text: (f) => {
        const t = at(f, UD.tunA);
        const s = at(f, UD.nicA);
        const over = s.outer!.totalLength - s.ip.totalLength;
        const ports = [...new Set(f.walk.outerPortsByFlow.map((p) => p.port))];
        return [
          `flanneld reads the packet from flannel0, finds which node owns ${s.ip.dst}'s subnet in its table (from etcd), and sends the packet as the payload of an ordinary UDP datagram from its socket: ${s.outer!.src}:${s.udp!.src} → ${s.outer!.dst}:${s.udp!.dst}. There is no tunnel header of its own: the UDP payload is the IPv4 packet, unchanged.`,
          `That is why tcpdump prints this ping as ${code(`UDP, length ${s.udp!.length - UDP_HEADER}`)}: the payload is pod A's ${s.ip.totalLength}-byte IPv4 packet. The overhead is ${IPV4_HEADER} + ${UDP_HEADER} = ${over} bytes of IPv4 length, so flannel0's MTU is ${ETHERNET_MTU} − ${over} = ${ETHERNET_MTU - over}.`,
          `Every flow uses the same source port (${list(ports.map(String))} in this capture): unlike VXLAN, nothing here spreads flows over links or queues. And each packet crosses between kernel and user space on both nodes, which is why flannel recommends this backend for debugging only.`,
          `The outer Don't Fragment is ${s.outer!.df ? 'set' : 'clear'}: flanneld's socket is a plain UDP socket, and Linux sets DF on those by default.`,
        ];
      },
      claims: (f) => {
        const t = at(f, UD.tunA);
        const s = at(f, UD.nicA);
        const ports = new Set(f.walk.outerPortsByFlow.map((p) => p.port));
        return [
          claim('The UDP payload is the flannel0 packet, byte for byte', after(s, ETHERNET_HEADER + IPV4_HEADER + UDP_HEADER) === t.hex),
          claim(`UDP length ${s.udp!.length} − ${UDP_HEADER} = ${s.ip.totalLength}, the inner IPv4 length`, s.udp!.length - UDP_HEADER === s.ip.totalLength),
          claim(`Outer ${s.outer!.totalLength} − inner ${s.ip.totalLength} = ${IPV4_HEADER} + ${UDP_HEADER}`, s.outer!.totalLength - s.ip.totalLength === IPV4_HEADER + UDP_HEADER),
          claim(`One source port, ${s.udp!.src}, for all ${f.walk.outerPortsByFlow.length} flows`, ports.size === 1 && f.walk.outerPortsByFlow.length > 1),
          claim('Outer DF set', !!s.outer!.df),
        ];
      },
    },
    {
      id: 'underlay',
      title: 'Across the underlay to node2’s flanneld',
      station: UD.nicB,
      focus: ['ip', 'udp'],
      text: (f) => {
        const s = at(f, UD.nicB);
        return [
          `node2's eth0 records the same ${s.capLen} bytes. The kernel delivers the datagram to the socket flanneld listens on, port ${s.udp!.dst}; an INPUT rule dropping that port would make the packets stop here, with nothing sent back.`,
        ];
      },
      claims: (f) => [claim('Byte for byte what node1/eth0 sent', at(f, UD.nicB).hex === at(f, UD.nicA).hex)],
    },
    {
      id: 'decapsulate',
      title: 'Written into node2’s flannel0',
      station: UD.tunB,
      focus: ['ip'],
      text: (f) => {
        const s = at(f, UD.tunB);
        return [
          `flanneld on node2 writes the UDP payload into its flannel0, and the kernel receives it as if it had arrived on an interface: the same ${s.capLen} bytes node1's flannel0 carried, TTL still ${s.ip.ttl}.`,
        ];
      },
      claims: (f) => [claim('Identical to the packet on node1/flannel0', at(f, UD.tunB).hex === at(f, UD.tunA).hex)],
    },
    {
      id: 'route-to-pod',
      title: 'Routed to docker0',
      station: UD.brB,
      focus: ['link', 'ip'],
      text: (f) => {
        const t = at(f, UD.tunB);
        const s = at(f, UD.brB);
        return [
          `node2 forwards from flannel0 to docker0: TTL ${t.ip.ttl} → ${s.ip.ttl}, and an Ethernet header appears, from docker0 (${s.eth!.src}) to pod B (${s.eth!.dst}).`,
          "In the seed incident this step never happened: the ping reached flannel0 and not docker0, because the FORWARD policy was DROP (Docker sets it) or ip_forward was off.",
        ];
      },
      claims: (f) => {
        const t = at(f, UD.tunB);
        const s = at(f, UD.brB);
        return [
          claim(`TTL ${t.ip.ttl} − 1 = ${s.ip.ttl}`, s.ip.ttl === t.ip.ttl - 1),
          claim(`${ETHERNET_HEADER} bytes of Ethernet added: ${t.capLen} + ${ETHERNET_HEADER} = ${s.capLen}`, s.capLen === t.capLen + ETHERNET_HEADER && !!s.eth),
        ];
      },
    },
    {
      id: 'delivered',
      title: 'Delivered to pod B',
      station: UD.vethB,
      focus: ['ip', 'icmp'],
      text: (f) => {
        const s = at(f, UD.vethB);
        const n = f.walk.requestsAt[UD.vethA] ?? 0;
        return [
          `Pod B receives the echo request, identification ${s.ip.id}, TTL ${s.ip.ttl}, and replies. All ${n} requests and ${n} replies crossed every capture point.`,
        ];
      },
      claims: (f) => {
        const n = f.walk.requestsAt[UD.vethA] ?? 0;
        return [
          claim('The frame on the veth is the frame on docker0', at(f, UD.vethB).hex === at(f, UD.brB).hex),
          claim(`${n} requests and ${n} replies at every capture point`, n > 0 && UD_PATH.every((p) => f.walk.requestsAt[p] === n && f.walk.repliesAt[p] === n)),
        ];
      },
    },
  ],
};

// ——— Calico IP-in-IP ———————————————————————————————————————————————————————————

const CA = {
  vethA: 'node1/calidc7f3a1b60c',
  tunA: 'node1/tunl0',
  nicA: 'node1/eth0',
  nicB: 'node2/eth0',
  tunB: 'node2/tunl0',
  vethB: 'node2/cali91dded39638',
} as const;
const CA_PATH = Object.values(CA);

const ipip: Lesson = {
  id: 'ipip',
  title: 'Calico IP-in-IP',
  blurb: 'No bridge, proxy ARP on the cali veth, and one extra IPv4 header: protocol 4 on the wire.',
  sample: 'calico-healthy',
  path: CA_PATH,
  probe: { kind: 'echo-request' },
  stations: [
    { id: CA.vethA, kind: 'veth' },
    { id: CA.tunA, kind: 'tun' },
    { id: CA.nicA, kind: 'nic' },
    { id: CA.nicB, kind: 'nic' },
    { id: CA.tunB, kind: 'tun' },
    { id: CA.vethB, kind: 'veth' },
  ],
  underlay: 'IPv4 protocol 4',
  intro: [
    'Calico routes instead of bridging: each pod has a /32 route to its cali veth, and traffic to another node\'s pods goes through tunl0, which puts one more IPv4 header in front (RFC 2003). In the lab a small user-space encapsulator stands in for the kernel\'s ipip module behind tunl0; the packets on the wire are the same.',
  ],
  steps: [
    {
      id: 'pod-sends',
      title: 'Pod A sends, proxy ARP answers',
      station: CA.vethA,
      focus: ['link', 'ip'],
      text: (f) => {
        const s = at(f, CA.vethA);
        const arp = f.walk.arpReplies[CA.vethA] ?? [];
        return [
          `Pod A (${s.ip.src}) pings pod B (${s.ip.dst}). Its default gateway, ${arp[0]?.ip}, exists nowhere: the host end of the cali veth has proxy ARP on and answers for any address with its own MAC, ${arp[0]?.mac}. Calico gives every host-side veth that same MAC.`,
          `So the frame goes from ${s.eth!.src} to ${s.eth!.dst} and node1 routes the packet itself. There is no bridge on this path.`,
        ];
      },
      claims: (f) => {
        const s = at(f, CA.vethA);
        const arp = f.walk.arpReplies[CA.vethA] ?? [];
        return [
          claim(`The ARP reply for ${arp[0]?.ip} came from ${arp[0]?.mac}`, arp.length > 0),
          claim(`The echo request is sent to that MAC, ${s.eth!.dst}`, s.eth!.dst === arp[0]?.mac),
          claim(`The gateway ${arp[0]?.ip} is not pod B's address`, arp[0]?.ip !== s.ip.dst),
        ];
      },
    },
    {
      id: 'tun',
      title: 'tunl0: routed into the tunnel',
      station: CA.tunA,
      focus: ['ip'],
      text: (f) => {
        const v = at(f, CA.vethA);
        const s = at(f, CA.tunA);
        return [
          `The route BIRD installed for node2's pod block points at tunl0, with node2's address as an onlink gateway. tunl0 has no MAC: the capture (link type ${s.linkType}, raw IP) starts with the IPv4 header. TTL ${v.ip.ttl} → ${s.ip.ttl}.`,
        ];
      },
      claims: (f) => {
        const v = at(f, CA.vethA);
        const s = at(f, CA.tunA);
        return [
          claim('No Ethernet header: raw IP', !s.eth && s.segments[0]?.role === 'ip'),
          claim(`TTL ${v.ip.ttl} − 1 = ${s.ip.ttl}`, s.ip.ttl === v.ip.ttl - 1),
        ];
      },
    },
    {
      id: 'encapsulate',
      title: 'One more IPv4 header: protocol 4',
      station: CA.nicA,
      focus: ['ip'],
      text: (f) => {
        const t = at(f, CA.tunA);
        const s = at(f, CA.nicA);
        const over = s.outer!.totalLength - s.ip.totalLength;
        return [
          `The tunnel puts an outer IPv4 header in front of the packet, ${s.outer!.src} → ${s.outer!.dst}, protocol ${s.outer!.protocol} (IP-in-IP), and node1 sends it on eth0 with an Ethernet header from ${s.eth!.src} to ${s.eth!.dst}. Behind the outer header, the ${t.capLen} bytes of the tunl0 capture, unchanged.`,
          `${over} bytes of overhead, the smallest of the three overlays: the largest inner packet is ${ETHERNET_MTU} − ${over} = ${ETHERNET_MTU - over}. But there are no ports: switches and NICs that balance by 5-tuple see one flow per pair of nodes.`,
          `The outer TTL is ${s.outer!.ttl}, the inner packet's: Linux IP-in-IP tunnels inherit the inner TTL unless given a fixed one. Outer Don't Fragment is ${s.outer!.df ? 'set' : 'clear'}.`,
        ];
      },
      claims: (f) => {
        const t = at(f, CA.tunA);
        const s = at(f, CA.nicA);
        return [
          claim(`Outer protocol ${s.outer!.protocol}: IP-in-IP`, s.outer!.protocol === 4),
          claim('Behind outer Ethernet and IPv4, the tunl0 packet byte for byte', after(s, ETHERNET_HEADER + IPV4_HEADER) === t.hex),
          claim(`Outer ${s.outer!.totalLength} − inner ${s.ip.totalLength} = ${IPV4_HEADER}`, s.outer!.totalLength - s.ip.totalLength === IPV4_HEADER),
          claim('No UDP header: no ports for load balancing', !s.udp),
          claim(`Outer TTL ${s.outer!.ttl} = inner TTL ${s.ip.ttl}`, s.outer!.ttl === s.ip.ttl),
        ];
      },
    },
    {
      id: 'underlay',
      title: 'Across the underlay to node2',
      station: CA.nicB,
      focus: ['ip'],
      text: (f) => {
        const s = at(f, CA.nicB);
        return [
          `node2's eth0 records the same ${s.capLen} bytes. Protocol ${s.outer!.protocol} must be allowed between the nodes: cloud security groups that only know TCP, UDP and ICMP drop it silently.`,
        ];
      },
      claims: (f) => [claim('Byte for byte what node1/eth0 sent', at(f, CA.nicB).hex === at(f, CA.nicA).hex)],
    },
    {
      id: 'decapsulate',
      title: 'Decapsulated on node2’s tunl0',
      station: CA.tunB,
      focus: ['ip'],
      text: (f) => {
        const s = at(f, CA.tunB);
        return [`The outer header is removed: the same ${s.capLen} bytes that entered node1's tunl0, TTL still ${s.ip.ttl}.`];
      },
      claims: (f) => [claim('Identical to the packet on node1/tunl0', at(f, CA.tunB).hex === at(f, CA.tunA).hex)],
    },
    {
      id: 'delivered',
      title: 'Routed to pod B’s cali veth',
      station: CA.vethB,
      focus: ['link', 'ip', 'icmp'],
      text: (f) => {
        const t = at(f, CA.tunB);
        const s = at(f, CA.vethB);
        const n = f.walk.requestsAt[CA.vethA] ?? 0;
        return [
          `node2's /32 route for pod B, ${code(`${s.ip.dst} dev ${s.iface} scope link`)}, sends the packet to the cali veth: TTL ${t.ip.ttl} → ${s.ip.ttl}, Ethernet from the host side's MAC ${s.eth!.src} to pod B's ${s.eth!.dst}.`,
          `All ${n} requests and ${n} replies crossed every capture point.`,
        ];
      },
      claims: (f) => {
        const t = at(f, CA.tunB);
        const s = at(f, CA.vethB);
        const n = f.walk.requestsAt[CA.vethA] ?? 0;
        return [
          claim(`TTL ${t.ip.ttl} − 1 = ${s.ip.ttl}`, s.ip.ttl === t.ip.ttl - 1),
          claim(`The host side's MAC here, ${s.eth!.src}, is the one node1's veth used`, s.eth!.src === at(f, CA.vethA).eth!.dst),
          claim(`${n} requests and ${n} replies at every capture point`, n > 0 && CA_PATH.every((p) => f.walk.requestsAt[p] === n && f.walk.repliesAt[p] === n)),
        ];
      },
    },
  ],
};

// ——— Break it ————————————————————————————————————————————————————————————————

const verdictClaims = (f: StepFacts, side: 'requestsAt' | 'repliesAt', order: string[]): Claim[] => {
  const last = lastSeen(f, side, order);
  const v = f.verdict;
  const stop = side === 'requestsAt' ? v?.requestsStopAfter : v?.repliesStopAfter;
  return [
    claim(`Hopscope's verdict says they stop after ${stop}, where the captures last saw them`, !!v && stop === last),
    claim(`The step shows a packet captured at ${f.shown.station}`, f.shown.station === last || f.shown.station === v?.requestsStopAfter || f.shown.station === v?.repliesStopAfter),
  ];
};

const breakIt: Lesson = {
  id: 'break-it',
  title: 'Break it',
  blurb: 'The fault samples: what each capture shows, and how Hopscope’s verdict follows from it.',
  sample: 'vxlan-forward-drop',
  path: VX_PATH,
  probe: { kind: 'echo-request' },
  stations: VX_STATIONS,
  underlay: 'UDP (VXLAN)',
  intro: [
    'The same two nodes, broken the ways real clusters break. For each: the packet counts at every capture point, the packet where the trail ends, and the verdict Hopscope computes from these same captures (open any of them in the dashboard).',
  ],
  steps: [
    {
      id: 'forward-drop',
      title: 'FORWARD policy DROP on node2',
      station: VX.vtepB,
      sample: 'vxlan-forward-drop',
      compareSample: 'vxlan-ip-forward-off',
      focus: ['ip', 'icmp'],
      text: (f) => {
        const last = lastSeen(f, 'requestsAt');
        const total = Object.values(f.walk.repliesAt).reduce((a, b) => a + b, 0);
        return [
          `The echo requests per capture point: ${countsText(f, 'requestsAt')}. The last one to see them is ${last}: the packets crossed the underlay and were decapsulated, then never reached ${nextAfter(f.walk.path, last)}. Replies anywhere: ${total}; and no ICMP error comes back.`,
          `Hopscope's verdict: “${f.verdict?.summary}”. It follows from the counts: seen at ${last}, not at the next point, and the step between is node2 forwarding from flannel.1 to cni0. So the causes offered are the ones that stop forwarding, first “${f.verdict?.causes[0]?.text}”, then “${f.verdict?.causes[1]?.text}”.`,
          `Why both? ${f.compare?.sample} (${code('sysctl -w net.ipv4.ip_forward=0')} instead of the DROP policy) leaves the same counts at every point: ${countsText({ ...f, walk: f.compare!.walk }, 'requestsAt')}. The captures cannot tell the two apart; ${code('iptables -S FORWARD')} and ${code('sysctl net.ipv4.ip_forward')} can.`,
        ];
      },
      claims: (f) => [
        ...verdictClaims(f, 'requestsAt', f.walk.path),
        claim('No echo reply at any capture point', Object.values(f.walk.repliesAt).every((n) => n === 0)),
        claim('The verdict offers both a FORWARD drop and ip_forward=0', /FORWARD/.test(f.verdict?.causes[0]?.text ?? '') && (f.verdict?.causes ?? []).some((c) => /forwarding is off|ip_forward/.test(c.text + c.check))),
        claim(`${f.compare?.sample} has the same counts at every point`, !!f.compare && f.walk.path.every((p) => f.compare!.walk.requestsAt[p] === f.walk.requestsAt[p] && f.compare!.walk.repliesAt[p] === f.walk.repliesAt[p])),
      ],
    },
    {
      id: 'vxlan-device-down',
      title: 'flannel.1 down on node2',
      station: VX.nicB,
      sample: 'vxlan-flannel-down',
      compareSample: 'vxlan-8472-blocked',
      show: { kind: 'icmp-error', code: 3 },
      focus: ['ip', 'icmp', 'quoted'],
      text: (f) => {
        const last = lastSeen(f, 'requestsAt');
        const e = f.shown.icmpError;
        const cmpLast = lastSeen({ ...f, walk: f.compare!.walk }, 'requestsAt');
        return [
          `The echo requests per capture point: ${countsText(f, 'requestsAt')}. They reach ${last} and go no further: node2 never decapsulates them.`,
          `But node2 answers. The packet shown is what it sends back: ICMP destination unreachable, code ${e?.code} (port unreachable), from ${e?.from} to ${e?.to}, quoting the start of the VXLAN packet it could not deliver. A VXLAN device that is down closes its UDP socket, so the kernel has nobody to give port ${at(f, VX.nicA).udp?.dst} to.`,
          `Hopscope's verdict: “${f.verdict?.summary}”, and its first cause: “${f.verdict?.causes[0]?.text}”. Compare ${f.compare?.sample}, where an INPUT rule drops the port: the requests stop at ${cmpLast} just the same, and no ICMP error comes back.`,
        ];
      },
      claims: (f) => {
        const e = f.shown.icmpError;
        const req = at(f, VX.nicA);
        return [
          ...verdictClaims(f, 'requestsAt', f.walk.path),
          claim(`The shown packet is ICMP type ${e?.type} code ${e?.code}: port unreachable`, e?.type === 3 && e.code === 3),
          claim(`It comes from ${e?.from}, the requests' outer destination`, e?.from === req.outer?.dst),
          claim('It quotes a UDP packet (the VXLAN packet)', !!e?.quoted.includes('udp')),
          claim(`In ${f.compare?.sample} the requests stop at the same point, and no ICMP error is captured`, !!f.compare && lastSeen({ ...f, walk: f.compare.walk }, 'requestsAt') === lastSeen(f, 'requestsAt') && f.compare.walk.path.every((p) => (f.compare!.walk.requestsAt[p] ?? 0) >= 0) && (f.compare.verdict?.icmpErrors.length ?? 0) === 0),
        ];
      },
    },
    {
      id: 'mtu',
      title: 'Pod MTU larger than the overlay’s',
      station: VX.cniA,
      sample: 'vxlan-mtu-frag-needed',
      probe: { kind: 'echo-request', minLength: ETHERNET_MTU },
      show: { kind: 'icmp-error', code: 4 },
      focus: ['icmp', 'quoted'],
      text: (f) => {
        const e = f.shown.icmpError;
        const req = at(f, VX.vethA);
        const over = f.walk.tunnelOverhead ?? NaN;
        return [
          `Here the pods and cni0 have an MTU of ${ETHERNET_MTU} while flannel.1 keeps ${ETHERNET_MTU} − ${over} = ${ETHERNET_MTU - over}. A ping of ${req.ip.totalLength} bytes with Don't Fragment ${req.ip.df ? 'set' : 'clear'} reaches cni0 (${countsText(f, 'requestsAt')}), and node1 cannot route it into flannel.1.`,
          `It may not fragment it either, so node1 answers pod A with the packet shown: ICMP type ${e?.type} code ${e?.code}, “fragmentation needed”, from ${e?.from}, with the next-hop MTU ${e?.nextHopMtu}. ping prints it as “Frag needed and DF set (mtu = ${e?.nextHopMtu})”; TCP lowers its segment size and recovers. Where this ICMP is filtered, large packets simply vanish: an MTU black hole.`,
          `Hopscope's verdict on the large ping: “${f.verdict?.summary}”.`,
        ];
      },
      claims: (f) => {
        const e = f.shown.icmpError;
        const req = at(f, VX.vethA);
        return [
          ...verdictClaims(f, 'requestsAt', f.walk.path),
          claim(`The ping is ${req.ip.totalLength} bytes with DF set`, req.ip.totalLength >= ETHERNET_MTU && req.ip.df),
          claim(`ICMP type ${e?.type} code ${e?.code}: fragmentation needed`, e?.type === 3 && e.code === 4),
          claim(`Next-hop MTU ${e?.nextHopMtu} = ${ETHERNET_MTU} − the VXLAN overhead seen in this capture`, e?.nextHopMtu === ETHERNET_MTU - (f.walk.tunnelOverhead ?? NaN)),
          claim(`It comes from ${e?.from}, node1's cni0 address, to pod A`, e?.to === req.ip.src && net24(e?.from ?? '') === net24(req.ip.src)),
        ];
      },
    },
    {
      id: 'return-path',
      title: 'Replies dropped on the way back',
      station: VX.vtepA,
      sample: 'vxlan-return-path-drop',
      show: { kind: 'echo-reply' },
      focus: ['ip', 'icmp'],
      text: (f) => {
        const back = [...f.walk.path].reverse();
        const last = lastSeen(f, 'repliesAt', back);
        return [
          `The requests go all the way (${countsText(f, 'requestsAt')}) and pod B replies. Follow the replies backwards: ${back.map((s) => `${s} ${f.walk.repliesAt[s]}`).join(', ')}. They reach ${last} — the packet shown — and never ${nextAfter(back, last)}.`,
          `node1 forwards pod traffic out (its FORWARD chain accepts ${code('-i cni0')}) but not the answers coming in from flannel.1. From pod A it looks exactly like a dead pod B; only the captures on node1 show the replies arriving. Hopscope's verdict: “${f.verdict?.summary}”.`,
        ];
      },
      claims: (f) => {
        const back = [...f.walk.path].reverse();
        return [
          ...verdictClaims(f, 'repliesAt', back),
          claim('Every request reached pod B', (f.walk.requestsAt[VX.vethB] ?? 0) > 0 && f.walk.requestsAt[VX.vethB] === f.walk.requestsAt[VX.vethA]),
          claim('The shown packet is an echo reply', f.shown.icmp?.type === 0),
          claim(`No reply reached ${VX.cniA}`, f.walk.repliesAt[VX.cniA] === 0),
        ];
      },
    },
    {
      id: 'service-nat',
      title: 'A service: DNAT, MASQUERADE, then a FORWARD drop',
      station: VX.vtepB,
      sample: 'vxlan-service-forward-drop',
      probe: { kind: 'tcp-syn' },
      focus: ['ip', 'transport'],
      text: (f) => {
        const v = at(f, VX.vethA);
        const c = at(f, VX.cniA);
        const s = at(f, VX.vtepA);
        const last = lastSeen(f, 'requestsAt');
        return [
          `Pod A connects to a ClusterIP service, ${v.ip.dst}:${v.tcp?.dst}. Only the veth shows that address: on cni0 the SYN already goes to ${c.ip.dst}:${c.tcp?.dst}, a pod, because kube-proxy's DNAT runs as the frame enters the bridge (br_netfilter). On flannel.1 its source is ${s.ip.src}:${s.tcp?.src} instead of ${v.ip.src}:${v.tcp?.src}: MASQUERADE to flannel.1's address.`,
          `Then the seed incident: the SYN reaches ${last} and node2's FORWARD policy drops it. Hopscope follows the connection through both translations (${f.verdict?.translations.map((t) => `${t.kind} at ${t.at}`).join('; ')}) and gives the verdict “${f.verdict?.summary}”.`,
        ];
      },
      claims: (f) => {
        const v = at(f, VX.vethA);
        const c = at(f, VX.cniA);
        const s = at(f, VX.vtepA);
        return [
          ...verdictClaims(f, 'requestsAt', f.walk.path),
          claim(`Destination rewritten between the veth and cni0: ${v.ip.dst} → ${c.ip.dst}`, v.ip.dst !== c.ip.dst && v.ip.src === c.ip.src),
          claim(`Source rewritten by node1 before flannel.1: ${v.ip.src} → ${s.ip.src}`, s.ip.src !== v.ip.src),
          claim('The verdict names the translations', (f.verdict?.translations.length ?? 0) > 0),
        ];
      },
    },
  ],
};

export const LESSONS: readonly Lesson[] = [vxlan, flannelUdp, ipip, breakIt];

export function lessonById(id: string | null | undefined): Lesson {
  return LESSONS.find((l) => l.id === id) ?? vxlan;
}

/** Every sample a lesson's steps read. */
export function lessonSamples(lesson: Lesson): string[] {
  return [...new Set(lesson.steps.flatMap((s) => [s.sample ?? lesson.sample, ...(s.compareSample ? [s.compareSample] : [])]))];
}
