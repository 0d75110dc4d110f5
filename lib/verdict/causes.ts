/**
 * What engineers check when packets stop between two capture points, by the kind of step the
 * packets failed to take. The texts follow the incidents in DOMAIN.md: FORWARD policy DROP
 * (Docker sets it) and ip_forward=0 look identical in captures, so both are always offered;
 * a VXLAN device that is down answers with ICMP port unreachable, a filtered port does not.
 */
import type { CapturePoint } from '../correlate/correlate';
import { overlayDevice, type OverlayDevice } from '../protocols/devices';
import { filterPattern } from '../protocols/overlays';
import { formatIpv6 } from '../decode/layers/base';
import type { Passing } from './passing';

export interface Cause {
  text: string;
  check: string;
}

/** The buffer the captures to take again ask tcpdump for: -B counts KiB, so 256 MiB, four times the 64 MiB many guides (and the lab's -i any) give. */
export const CAPTURE_BUFFER = '-B 262144';

/**
 * Causes that would stop every packet of the flow at its step (forwarding off, no route, a
 * device down or missing, a daemon stopped, the pod gone): where some of the flow's packets
 * crossed the same step they are ruled out (stopsEverything). Kept apart from the Cause, so
 * the reports' JSON does not change.
 */
const STOPS_ALL = new WeakSet<Cause>();
function whole(c: Cause): Cause {
  STOPS_ALL.add(c);
  return c;
}

/** A cause that would stop every packet at its step, so none that some packets crossed. */
export function stopsEverything(c: Cause): boolean {
  return STOPS_ALL.has(c);
}

/** Where some packets of the flow cross a step and others are lost there: what drops only some. */
export function someOnlyCause(from: CapturePoint, to: CapturePoint, dst: string): Cause {
  const fam = familyOf(dst);
  const node = from.host;
  if (from.host !== to.host) {
    return { text: `the underlay between ${from.host} and ${to.host} loses some of the packets (a congested or faulty link, a rate limit, a rule that matches only some)`, check: `ip -s link show  # errors and drops, on both nodes; ${fam.iptables}-save | grep -E 'statistic|limit'` };
  }
  return {
    text: `something on ${node} drops only some of the packets: a rule that matches some of them (-m statistic, -m limit, hashlimit), a full conntrack table, or a queue that overflows`,
    check: `${fam.iptables}-save | grep -E 'statistic|limit'; conntrack -S | grep -E 'drop|insert_failed'; ip -s link show ${from.interface}; ip -s link show ${to.interface}; tc -s qdisc show dev ${to.interface}`,
  };
}


/**
 * What differs between IPv4 and IPv6 in the checks: the firewall command, the forwarding
 * sysctl, reverse-path filtering (IPv6 has no rp_filter sysctl; ip6tables' rpfilter match does
 * it), the pod CIDR's usual size, and ping.
 */
interface Family {
  v6: boolean;
  iptables: string;
  forwarding: string;
  ping: string;
  /** Bytes of the IP and ICMP headers a ping's -s leaves out. */
  pingOverhead: number;
}

export function familyOf(addr: string): Family {
  return addr.includes(':')
    ? { v6: true, iptables: 'ip6tables', forwarding: 'net.ipv6.conf.all.forwarding', ping: 'ping -6', pingOverhead: 48 }
    : { v6: false, iptables: 'iptables', forwarding: 'net.ipv4.ip_forward', ping: 'ping', pingOverhead: 28 };
}

const FORWARD_DROP = (fam: Family, node: string, inIf: string, podCidr: string): Cause => ({
  text: `the FORWARD chain on ${node} drops it (policy DROP, as Docker sets it, or a DROP/REJECT rule); accept ${inIf} traffic in DOCKER-USER`,
  check: `${fam.iptables} -S FORWARD; ${fam.iptables} -L DOCKER-USER -n -v  # fix: ${fam.iptables} -I DOCKER-USER -i ${inIf} -d ${podCidr} -j ACCEPT`,
});
const IP_FORWARD = (fam: Family, node: string): Cause =>
  whole({
    text: `${fam.v6 ? 'IPv6 forwarding' : 'IP forwarding'} is off on ${node} (e.g. reset by 'systemctl restart network')`,
    check: `sysctl ${fam.forwarding}  # must be 1`,
  });
const CONNTRACK = (fam: Family, node: string): Cause => ({
  text: `conntrack on ${node} marks the packets INVALID (a state it never saw, e.g. after a table flush or an asymmetric path) and a rule drops them`,
  check: `conntrack -S; ${fam.iptables} -S | grep -i 'ctstate INVALID'`,
});
/** A guess at the pod CIDR from an address in it: flannel hands out /24s (IPv6: /64s). */
export function podCidr(addr: string): string {
  const m = /^(\d+\.\d+\.\d+)\.\d+$/.exec(addr);
  if (m) return `${m[1]}.0/24`;
  const groups = ipv6Groups(addr);
  if (groups) {
    const prefix = new Uint8Array(16);
    groups.slice(0, 4).forEach((g, k) => {
      const v = parseInt(g, 16);
      prefix[2 * k] = v >> 8;
      prefix[2 * k + 1] = v & 0xff;
    });
    return `${formatIpv6(prefix, 0)}/64`;
  }
  return '<pod CIDR>';
}

/** An IPv6 address's eight groups ("::" filled in), or null when it is not one. */
function ipv6Groups(addr: string): string[] | null {
  if (!addr.includes(':') || addr.includes('.')) return null;
  const halves = addr.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  const groups = [...head, ...Array<string>(Math.max(0, fill)).fill('0'), ...tail];
  return groups.length === 8 && groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g)) ? groups : null;
}
const RP_FILTER = (fam: Family, node: string, dev: string): Cause =>
  whole(
    fam.v6
      ? { text: `reverse-path filtering on ${node} drops it (asymmetric route): IPv6 has no rp_filter sysctl, an ip6tables rpfilter rule does it`, check: `ip6tables -t raw -S | grep rpfilter; ip -6 route get <source>  # on ${node}, should leave by ${dev}` }
      : { text: `reverse-path filtering on ${node} drops it (asymmetric route)`, check: `sysctl net.ipv4.conf.all.rp_filter net.ipv4.conf.${dev}.rp_filter` },
  );

export interface StepContext {
  from: CapturePoint;
  to: CapturePoint;
  /** The address the packets were heading to at `from`. */
  dst: string;
  /** Largest IP length of the packets that did not make the step. */
  lostSize: number;
  /** Any DF-set? Unknown in the index: assume DF when the flow is TCP or the packets are large. */
  overlay: OverlayDevice | null;
  /** ICMP port unreachable for the overlay port came back from this address. */
  overlayPortUnreachableFrom: string | null;
  /** Other traffic to the destination that took this step meanwhile (passing.ts). */
  passing?: Passing | null;
  /** The flow's traffic as said ("TCP 8080", "ping") and its client. */
  traffic?: string;
  client?: string;
  /** The packets lost at the step are the flow's replies (heading to the client). */
  replies?: boolean;
  /** Between nodes: the lost packets left `from` (a NIC) as themselves, not encapsulated, though the overlay carries `dst` (outside-tunnel.ts). */
  leftPlain?: boolean;
  /** From a NIC to its node's overlay device: the lost packets came in plain, not encapsulated (a NodePort's request), so they were to be forwarded into it, not decapsulated. */
  plainAtNic?: boolean;
}

/** "<node>/<iface>" */
export function pointName(p: CapturePoint): string {
  return `${p.node}/${p.interface}`;
}

/**
 * The transition in words and its likely causes, most likely first.
 */
export function describeStep(c: StepContext): { transition: string; causes: Cause[] } {
  const { from, to } = c;
  const node = from.host;
  const ov = c.overlay;
  const fam = familyOf(c.dst);
  const mtuCause = (): Cause | null =>
    ov && c.lostSize > ov.mtu
      ? {
          text: `the packets (${c.lostSize} bytes) exceed ${ov.device}'s MTU ${ov.mtu} (1500 − ${ov.overhead} bytes of ${ov.spec?.name ?? 'VXLAN'} overhead) ${fam.v6 ? 'and IPv6 is never fragmented on the way' : 'with DF set'}, and the ${fam.v6 ? 'ICMPv6 packet too big' : 'frag-needed'} never reached the sender`,
          check: `ip link show ${ov.device} | grep mtu; ${fam.ping} -M do -s ${ov.mtu - fam.pingOverhead} <pod-ip>  # then -s ${ov.mtu - fam.pingOverhead + 1}`,
        }
      : null;
  const first = (...xs: (Cause | null)[]) => xs.filter((x): x is Cause => x !== null);

  if (from.host !== to.host && c.leftPlain) return outsideTheTunnel(c, fam);
  if (from.host !== to.host) {
    const wire = ov?.wire ?? 'the overlay traffic';
    return {
      transition: `left ${pointName(from)}, never reached ${pointName(to)}: lost on the underlay between ${from.host} and ${to.host}`,
      causes: first(
        mtuCause(),
        { text: `${wire} is filtered between the nodes (host firewall, security group, or an iptables rule on either node)`, check: `iptables -S | grep -E '${filterPattern(ov?.spec ?? null, ov?.ports)}'  # on both nodes; and the cloud security group` },
        ov?.spec?.forwardingEntries
          ? whole({ text: `${from.host} sends to the wrong outer address: a stale ${ov.spec.forwardingEntries.what} for ${c.dst}'s node`, check: `${ov.spec.forwardingEntries.check(ov.device)}  # on ${from.host}` })
          : null,
        whole({ text: `the underlay route from ${from.host} to ${to.host} is wrong or down`, check: `ip route get <${to.host} underlay IP>  # on ${from.host}` }),
      ),
    };
  }

  const key = `${from.role}>${to.role}`;
  const meaning = stepOfNode(c, key, fam, mtuCause);
  // Packets too big for the step's MTU are their own story: the others may just be smaller. A
  // NIC's packets not decapsulated are the overlay's (its port, VNI, sender), never an inner port's.
  if (!c.passing || mtuCause() || key === 'nic>overlay') return meaning;
  const rule = ruleForThis(c, fam, key === 'bridge>pod' || key === 'pod>bridge');
  if (!c.passing.strong) {
    meaning.causes = [rule, ...meaning.causes];
    return meaning;
  }
  // Reverse-path filtering is the source's: ruled out only where traffic from the same source crossed.
  const routedIn = from.role === 'overlay' || from.role === 'nic';
  meaning.causes = [rule, ...(routedIn && !c.passing.sameEnds && !c.replies ? [RP_FILTER(fam, node, from.interface)] : []), CONNTRACK(fam, node)];
  return meaning;
}

/**
 * The packets left the node's NIC as plain IP where the overlay carries their destination: the
 * node routed them past its overlay device, by its default route most likely, to a router that
 * knows no pod addresses. The underlay did not lose them; the overlay's route was not there.
 */
function outsideTheTunnel(c: StepContext, fam: Family): { transition: string; causes: Cause[] } {
  const { from, to, dst } = c;
  const node = from.host;
  const dev = c.overlay?.device ?? 'the overlay device';
  const ip = fam.v6 ? 'ip -6' : 'ip';
  return {
    transition: `left ${pointName(from)} not encapsulated, as plain IP to ${dst} outside the tunnel, and never reached ${pointName(to)}: ${node} did not route them into ${dev}`,
    causes: [
      {
        text: `${node} has no route to ${dst} through ${dev}: the overlay's route for the pod subnet holding ${dst} is missing (routes flanneld or Calico added are gone after 'systemctl restart network' until the agent syncs again; a node that registered again got a new subnet), so ${node}'s default route sends them out ${from.interface} to the underlay's router, which has no route to pod addresses and drops them`,
        check: `${ip} route get ${dst}  # on ${node}: should leave by ${dev}, not by ${from.interface}; ${ip} route | grep ${dev}`,
      },
      {
        text: `${dst} is in no node's pod subnet: its pod got an address the overlay never registered (docker started before flannel gives its bridge docker's own default subnet)`,
        check: /^flannel/.test(dev)
          ? `cat /run/flannel/subnet.env; ${ip} addr show  # on ${to.host}: the pods' bridge must hold FLANNEL_SUBNET`
          : `kubectl get pods -A -o wide | grep -w ${dst}; kubectl get nodes -o jsonpath='{.items[*].spec.podCIDR}'`,
      },
    ],
  };
}

/**
 * Plain packets that came in by a node's NIC and never entered its overlay device: addressed to
 * the node (a NodePort: kube-proxy DNATs them to an endpoint on another node) or routed through
 * it, the node did not forward them into the tunnel. Nothing here was to be decapsulated.
 */
function forwardedIntoTunnel(c: StepContext, fam: Family): { transition: string; causes: Cause[] } {
  const { from, to, dst } = c;
  const node = from.host;
  return {
    transition: `reached ${pointName(from)} as plain IP to ${dst}, never forwarded into ${to.interface}: ${node} does not send them on through the tunnel`,
    causes: [
      {
        text: `the FORWARD chain on ${node} drops them after kube-proxy's DNAT (a NodePort, hostPort or externalIP to an endpoint on another node: FORWARD sees the endpoint's address and port), or its policy is DROP, as Docker sets it`,
        check: `${fam.iptables} -S FORWARD; ${fam.iptables} -t nat -S KUBE-NODEPORTS; conntrack -L -d ${dst}  # on ${node}: the DNATed entry names the endpoint`,
      },
      IP_FORWARD(fam, node),
      {
        text: `${node} has no route to the endpoint through ${to.interface}, or kube-proxy on ${node} has no endpoint for the port (then ${node} answers nothing, or a REJECT)`,
        check: `${fam.v6 ? 'ip -6' : 'ip'} route get <endpoint IP>; ${fam.iptables}-save -t nat | grep -i -e '${dst}' -e nodeport  # on ${node}`,
      },
      RP_FILTER(fam, node, from.interface),
    ],
  };
}

/**
 * Other traffic to the destination took this step: what stops this flow matches it, its port,
 * or its client when the same port from other clients crosses. Crossing while this flow's
 * packets were lost (`strong`), it proves forwarding, the routes, the devices and the pod work;
 * crossing only before, it proves they did then.
 */
function ruleForThis(c: StepContext, fam: Family, bridged: boolean): Cause {
  const node = c.from.host;
  const p = c.passing!;
  const what = c.traffic ?? 'this traffic';
  const port = /\d+$/.exec(what)?.[0];
  const grep = port ? `${fam.iptables}-save | grep -E -- '--dport ${port}\\b|--dports'; nft list ruleset | grep -w ${port}` : `${fam.iptables}-save | grep -E -- '-p (icmp|ipv6-icmp)'; nft list ruleset | grep -i icmp`;
  const others = (crossers: string) => (p.what.length > 1 ? `${crossers} (and ${p.what.filter((w) => w !== what).join(', ')})` : crossers);
  const when = (verb: 'cross' | 'crosses') => (p.strong ? `${verb} this step meanwhile` : 'crossed this step earlier in the captures');
  const work = (end: string) => (p.strong ? `so forwarding, the routes and the ${end} work` : `so forwarding, the routes and the ${end} worked then, unless something changed since`);
  if (c.replies) {
    return {
      text: p.samePort
        ? `a rule on ${node} drops the ${what} replies to ${c.dst} from this server: ${others(`other servers' ${what} replies to it`)} ${when('cross')}, ${work('client')} — a firewall rule matching the source`
        : `a rule on ${node} drops the ${what} replies to ${c.dst}: other replies to it (${p.what.join(', ')}) ${when('cross')}, ${work('client')} — a firewall rule matching their ${port ? 'source port or TCP flags (a SYN-ACK)' : 'protocol'}`,
      check: `${port ? `${fam.iptables}-save | grep -E -- '--sport ${port}\\b|--sports|--tcp-flags'; nft list ruleset | grep -w ${port}` : grep}; conntrack -L -d ${c.dst}`,
    };
  }
  return {
    text: p.samePort
      ? `a rule on ${node} drops ${what} from ${c.client ?? 'this client'} to ${c.dst}: ${others(`other clients' ${what} to it`)} ${when('crosses')}, ${work('destination')} — a NetworkPolicy, or a firewall rule matching the source`
      : `a rule on ${node} drops ${what} to ${c.dst}: other traffic to it (${p.what.join(', ')}) ${when('crosses')}, ${work('destination')} — a NetworkPolicy, or a firewall rule matching the ${port ? 'port' : 'protocol'}`,
    check: `${grep}; kubectl get networkpolicy -A${bridged ? `; sysctl net.bridge.bridge-nf-call-${fam.v6 ? 'ip6tables' : 'iptables'}  # 1: bridged frames cross FORWARD` : ''}`,
  };
}

/** overlay>nic: into the tunnel device, never out of the NIC encapsulated. */
function leftUnencapsulated(c: StepContext, mtu: Cause | null): { transition: string; causes: Cause[] } {
  const { from, to } = c;
  const node = from.host;
  const o = c.overlay ?? overlayDevice(from.interface);
  const causes: Cause[] = mtu ? [mtu] : [];
  const enc = o.spec?.encapsulator;
  if (o.spec?.forwardingEntries) {
    causes.push(whole({ text: `no ${o.spec.forwardingEntries.what} for ${c.dst}'s node: the kernel has nowhere to send the encapsulated frame`, check: o.spec.forwardingEntries.check(o.device) }));
  } else if (enc?.kind === 'daemon') {
    causes.push(whole({ text: `${enc.name} on ${node} is not running, so nothing reads ${o.device} and sends ${o.wire.replace(/ \(.*\)$/, '')}`, check: enc.check }));
  } else if (o.spec) {
    causes.push(whole({ text: `${o.device} on ${node} has no route or peer for ${c.dst}`, check: `ip route get ${c.dst}; ip -d link show ${o.device}` }));
  }
  causes.push({ text: `an OUTPUT rule on ${node} drops ${o.wire}`, check: 'iptables -S OUTPUT' });
  return { transition: `entered ${pointName(from)}, never left ${to.interface} encapsulated`, causes };
}

/** nic>overlay, the tunnel packets at the NIC: never decapsulated into the tunnel device. */
function neverDecapsulated(c: StepContext): { transition: string; causes: Cause[] } {
  const { from, to } = c;
  const node = from.host;
  const o = c.overlay ?? overlayDevice(to.interface);
  const enc = o.spec?.encapsulator;
  const down: Cause =
    enc?.kind === 'daemon'
      ? whole({ text: `${enc.name} on ${node} is not running: nothing reads ${o.wire.replace(/ \(.*\)$/, '')} and writes ${o.device}`, check: enc.check })
      : whole({ text: `${o.device} on ${node} is down, missing, or has another VNI or port than the sender's`, check: `ip -d link show ${o.device}  # state UP, vxlan id and dstport as on the other node` });
  const input: Cause = { text: `an INPUT rule on ${node} drops ${o.wire}`, check: 'iptables -S INPUT' };
  const transition = `reached ${pointName(from)}, never decapsulated into ${to.interface}`;
  if (c.overlayPortUnreachableFrom) {
    return { transition, causes: [whole({ ...down, text: `${node} (${c.overlayPortUnreachableFrom}) answered ICMP port unreachable for ${o.wire}: nothing listens there — ${down.text}` }), input] };
  }
  // Nothing listening on the tunnel's UDP port (the device down or gone, another port, the
  // daemon stopped) makes the kernel answer ICMP port unreachable; a filter answers nothing
  // (DOMAIN.md; the lab's vxlan-flannel-down and vxlan-8472-blocked). The NIC that received
  // them was captured, and no such error came back: a filter first.
  if ((o.spec?.udpPorts.length ?? 0) > 0) {
    return { transition, causes: [{ ...input, text: `${input.text}: no ICMP port unreachable came back, which ${node} sends when nothing listens on the port` }, down] };
  }
  return { transition, causes: [down, input] };
}

/** What a step between two points of one node means, and its causes from the devices alone. */
function stepOfNode(c: StepContext, key: string, fam: Family, mtuCause: () => Cause | null): { transition: string; causes: Cause[] } {
  const { from, to } = c;
  const node = from.host;
  const ov = c.overlay;
  const first = (...xs: (Cause | null)[]) => xs.filter((x): x is Cause => x !== null);
  switch (key) {
    case 'pod>bridge':
      return {
        transition: `left ${pointName(from)} (the pod's veth), never reached ${to.interface} on ${node}`,
        causes: [
          whole({ text: `the veth is not attached to ${to.interface}, or is down`, check: `ip link show master ${to.interface}; bridge link show` }),
          { text: 'bridge netfilter (br_netfilter) drops it in FORWARD', check: `sysctl net.bridge.bridge-nf-call-${fam.v6 ? 'ip6tables' : 'iptables'}; ${fam.iptables} -S FORWARD` },
        ],
      };
    case 'bridge>overlay':
    case 'pod>overlay':
      return {
        transition: `reached ${pointName(from)}, not routed into ${to.interface}: ${node} does not forward it`,
        causes: first(
          mtuCause(),
          FORWARD_DROP(fam, node, from.interface, podCidr(c.dst)),
          IP_FORWARD(fam, node),
          whole({ text: `${node} has no route to ${c.dst} through ${to.interface}`, check: `ip route get ${c.dst}` }),
        ),
      };
    case 'overlay>nic':
      return leftUnencapsulated(c, mtuCause());
    case 'nic>overlay':
      return c.plainAtNic ? forwardedIntoTunnel(c, fam) : neverDecapsulated(c);
    case 'overlay>bridge':
    case 'overlay>pod': {
      const o = ov ?? overlayDevice(from.interface);
      const what = o.spec?.decapsulated ?? 'decapsulated';
      // Routed CNIs (Calico, Cilium) reach each pod by its own route to its veth: without it the
      // packet takes the block's blackhole route (Calico) and vanishes without an ICMP error.
      const route: Cause | null =
        to.role === 'pod'
          ? whole({ text: `${node} has no route to ${c.dst} through ${to.interface} (the pod's own route is gone; Calico's blackhole route for the block then drops it silently)`, check: `ip${fam.v6 ? ' -6' : ''} route get ${c.dst}; ip${fam.v6 ? ' -6' : ''} route | grep -E 'blackhole|${to.interface}'` })
          : null;
      return {
        transition: `${what} on ${node}, not forwarded from ${from.interface} to ${to.interface}`,
        causes: first(FORWARD_DROP(fam, node, from.interface, podCidr(c.dst)), route, IP_FORWARD(fam, node), RP_FILTER(fam, node, from.interface), CONNTRACK(fam, node)),
      };
    }
    case 'nic>pod':
    case 'nic>bridge':
      return {
        transition: `reached ${pointName(from)}, not forwarded to ${to.interface}`,
        causes: [IP_FORWARD(fam, node), FORWARD_DROP(fam, node, from.interface, c.dst), RP_FILTER(fam, node, from.interface), CONNTRACK(fam, node), whole({ text: `${node} has no route to ${c.dst}`, check: `ip route get ${c.dst}` })],
      };
    case 'pod>nic':
    case 'bridge>nic':
      return {
        transition: `reached ${pointName(from)}, never sent out of ${to.interface}`,
        causes: first(mtuCause(), IP_FORWARD(fam, node), FORWARD_DROP(fam, node, from.interface, c.dst), whole({ text: `${node} has no route to ${c.dst}`, check: `ip route get ${c.dst}` })),
      };
    case 'bridge>pod':
      return {
        transition: `reached ${pointName(from)}, never ${to.interface} (the pod's veth)`,
        causes: [
          whole({ text: 'the destination pod is gone or has another address (stale endpoint)', check: `kubectl get pod -o wide | grep ${c.dst}; ip${fam.v6 ? ' -6' : ''} neigh show dev ${from.interface}` }),
          { text: `bridge netfilter on ${node} drops it in FORWARD`, check: `sysctl net.bridge.bridge-nf-call-${fam.v6 ? 'ip6tables' : 'iptables'}; ${fam.iptables} -S FORWARD` },
        ],
      };
    default:
      return {
        transition: `seen at ${pointName(from)}, never at ${pointName(to)}`,
        causes: [FORWARD_DROP(fam, node, from.interface, c.dst), IP_FORWARD(fam, node), whole({ text: `${node} has no route to ${c.dst}`, check: `ip route get ${c.dst}` })],
      };
  }
}
