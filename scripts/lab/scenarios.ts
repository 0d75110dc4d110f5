/**
 * The scenarios: a cluster, a fault as engineers have met it, and the traffic that shows it.
 * `expectedVerdict` is what a good analyzer should say; what each flow really did is measured
 * from the captures afterwards (lib/lab/ground-truth.ts), never written here.
 */
import type { Cni, FaultCommand, FlowProtocol, ServiceInfo } from '../../lib/lab/scenario';

/** How the lab runs its Python helper; expanded to the real interpreter and path when run. */
export const LABNET = 'python3 scripts/lab/labnet.py';

export interface FlowDef {
  id: string;
  protocol: FlowProtocol;
  description: string;
  /** A pod or outside host by name, or an address (a ClusterIP) with the pod it DNATs to. */
  to: 'pod-b' | 'outside' | { ip: string; port?: number; server: 'pod-b'; serverPort?: number };
  icmpId?: number;
  /** ping -s */
  size?: number;
  /** ping -M do */
  df?: boolean;
  clientPort?: number;
  port?: number;
  dnsId?: number;
  expectedVerdict: string;
}

export interface FaultDef {
  kind: string;
  description: string;
  node: string;
  /** Run after the captures start (so the captures show the broken state from its first packet). */
  commands: FaultCommand[];
  /** Commands that start a process (a server on the wrong port) rather than change state. */
  background?: boolean;
}

export interface ScenarioDef {
  name: string;
  title: string;
  summary: string;
  reportedAs: string;
  cni: Cni;
  podMtu?: number;
  /** Ports the pods' server listens on; [] when the fault starts the server itself. */
  serverTcpPorts?: number[];
  responseBytes?: number;
  /** State every such cluster has that is not part of the CNI (kube-proxy rules), on which host. */
  setup?: FaultCommand[];
  services?: ServiceInfo[];
  fault: FaultDef | null;
  flows: FlowDef[];
  /** Where the `-i any` capture runs: the node the fault is on, or the server's node. */
  anyNode: string;
  notes: string[];
  /** Part of the short set CI reruns. */
  ci?: boolean;
}

// Flow templates. Identifiers, ports and DNS ids are fixed so reruns are comparable.
function ping(expectedVerdict: string, extra: Partial<FlowDef> = {}): FlowDef {
  return { id: 'ping', protocol: 'icmp', description: 'ping pod-a → pod-b, 3 echo requests of 56 bytes', to: 'pod-b', icmpId: 0x4801, expectedVerdict, ...extra };
}
function http(expectedVerdict: string, extra: Partial<FlowDef> = {}): FlowDef {
  return { id: 'http', protocol: 'tcp', description: 'pod-a opens TCP to pod-b:80 and sends one HTTP request', to: 'pod-b', clientPort: 40080, port: 80, expectedVerdict, ...extra };
}
function dns(expectedVerdict: string, extra: Partial<FlowDef> = {}): FlowDef {
  return { id: 'dns', protocol: 'udp', description: 'pod-a sends one DNS query to pod-b:53', to: 'pod-b', clientPort: 40053, port: 53, dnsId: 0x4853, expectedVerdict, ...extra };
}

/**
 * Both MTU scenarios: pods and cni0 at 1500 over flannel.1's 1450, on both nodes, plus what a
 * scenario adds per node.
 */
function podMtu1500(extra: (node: string) => FaultCommand[] = () => []): FaultCommand[] {
  return ['node1', 'node2'].flatMap((n) => {
    const veth = n === 'node1' ? 'veth3a1b2c4d' : 'veth7e9d0f12';
    const pod = n === 'node1' ? 'pod-a' : 'pod-b';
    return [
      { host: n, command: `ip link set ${veth} mtu 1500` },
      { host: n, command: 'ip link set cni0 mtu 1500' },
      { host: pod, command: 'ip link set eth0 mtu 1500' },
      ...extra(n),
    ];
  });
}

const OK = 'healthy: requests and replies cross every capture point';

function vxlanForwardStop(cause: string): string {
  return `requests reach node2 flannel.1 but never cni0: node2 does not forward them (${cause}); no reply is sent`;
}

const VXLAN_NOTES = [
  'Inner frames on flannel.1 carry the VTEP MACs; the outer UDP source port is a hash of the inner flow, the destination 8472.',
  'tcpdump on a veth sees a pod\'s TCP segments before GSO splits them, so a frame can exceed the MTU there and on cni0.',
];

export const SCENARIOS: ScenarioDef[] = [
  // ------------------------------------------------------------------ flannel VXLAN
  {
    name: 'vxlan-healthy',
    title: 'flannel VXLAN, healthy',
    summary: 'Pod to pod across nodes over flannel.1 (VXLAN id 1, UDP 8472). Every capture point sees the ping, the TCP request and the DNS-like exchange both ways: the baseline to compare faults with.',
    reportedAs: 'The flannel.1 data path write-up (seed 003): pod → cni0 → flannel.1 → eth0, encapsulated, and back.',
    cni: 'flannel-vxlan',
    fault: null,
    flows: [ping(OK), http(OK), dns(OK)],
    anyNode: 'node2',
    notes: VXLAN_NOTES,
    ci: true,
  },
  {
    name: 'vxlan-forward-drop',
    title: 'flannel VXLAN, FORWARD policy DROP on the destination node',
    summary: 'Docker (1.13+) set the FORWARD policy to DROP on node2 and nothing accepts pod traffic. Requests are decapsulated on node2 flannel.1 and die before cni0; nothing comes back.',
    reportedAs: 'Seed 000 (flannel0 saw the ping, docker0 did not; iptables -P FORWARD ACCEPT fixed it) and seed 002 (FORWARD policy DROP on node02).',
    cni: 'flannel-vxlan',
    fault: {
      kind: 'forward-policy-drop',
      description: 'iptables FORWARD policy DROP on node2 with no rule accepting traffic to the pod network',
      node: 'node2',
      commands: [{ host: 'node2', command: 'iptables -P FORWARD DROP' }],
    },
    flows: [ping(vxlanForwardStop('FORWARD policy DROP, or ip_forward=0')), http(vxlanForwardStop('FORWARD policy DROP, or ip_forward=0')), dns(vxlanForwardStop('FORWARD policy DROP, or ip_forward=0'))],
    anyNode: 'node2',
    notes: [...VXLAN_NOTES, 'A FORWARD DROP is silent: no ICMP goes back, so the client only times out.'],
    ci: true,
  },
  {
    name: 'vxlan-ip-forward-off',
    title: 'flannel VXLAN, net.ipv4.ip_forward=0 on the destination node',
    summary: 'After `systemctl restart network` node2 has ip_forward=0. VXLAN decapsulation still works (it is local delivery to UDP 8472), so requests reach node2 flannel.1, but they are not forwarded to cni0: the same picture as a FORWARD DROP.',
    reportedAs: 'Seed 004 (ip_forward reset to 0 by a network restart) and seed 000 (check sysctl ip_forward).',
    cni: 'flannel-vxlan',
    fault: {
      kind: 'ip-forward-off',
      description: 'net.ipv4.ip_forward=0 on node2, as after systemctl restart network',
      node: 'node2',
      commands: [{ host: 'node2', command: 'sysctl -w net.ipv4.ip_forward=0' }],
    },
    flows: [ping(vxlanForwardStop('ip_forward=0, or a FORWARD DROP')), http(vxlanForwardStop('ip_forward=0, or a FORWARD DROP')), dns(vxlanForwardStop('ip_forward=0, or a FORWARD DROP'))],
    anyNode: 'node2',
    notes: [...VXLAN_NOTES, 'With forwarding off the kernel drops the packet without an ICMP error (ip_error() sends none when the input device does not forward).'],
  },
  {
    name: 'vxlan-flannel-down',
    title: 'flannel VXLAN, flannel.1 down on the destination node',
    summary: 'flannel.1 is down on node2, which closes its UDP 8472 socket. Encapsulated requests reach node2 eth0 and node2 answers each with ICMP port unreachable from its underlay address; node2 flannel.1 sees nothing.',
    reportedAs: 'Seed 001: flannel.1 was gone on the nginx node; busybox\'s packets left and nothing arrived.',
    cni: 'flannel-vxlan',
    fault: {
      kind: 'vxlan-device-down',
      description: 'ip link set flannel.1 down on node2',
      node: 'node2',
      commands: [{ host: 'node2', command: 'ip link set flannel.1 down' }],
    },
    flows: [
      ping('requests reach node2 eth0 and stop; node2 returns ICMP port unreachable for UDP 8472: the VXLAN device on node2 is down or missing'),
      http('requests reach node2 eth0 and stop; node2 returns ICMP port unreachable for UDP 8472: the VXLAN device on node2 is down or missing'),
      dns('requests reach node2 eth0 and stop; node2 returns ICMP port unreachable for UDP 8472: the VXLAN device on node2 is down or missing'),
    ],
    anyNode: 'node2',
    notes: [
      ...VXLAN_NOTES,
      'The fault was injected after tcpdump started on node2 flannel.1; tcpdump refuses to start on a device that is already down ("That device is not up").',
      'The port unreachable errors are not forwarded into flannel.1 on node1: node1 eth0 is the only place they appear on the client side.',
    ],
  },
  {
    name: 'vxlan-8472-blocked',
    title: 'flannel VXLAN, UDP 8472 blocked on the destination node',
    summary: 'A host firewall on node2 drops UDP 8472. Encapsulated requests are on node2 eth0 (tcpdump sees them before netfilter) and never on node2 flannel.1; nothing comes back, not even an ICMP error.',
    reportedAs: 'Seed 000: check the firewall with `nc -u <node> 8472` and tcpdump on the other node\'s NIC.',
    cni: 'flannel-vxlan',
    fault: {
      kind: 'overlay-port-blocked',
      description: 'iptables INPUT drops UDP 8472 on node2',
      node: 'node2',
      commands: [{ host: 'node2', command: 'iptables -I INPUT -p udp --dport 8472 -j DROP' }],
    },
    flows: [
      ping('requests reach node2 eth0, never node2 flannel.1, no ICMP back: UDP 8472 is filtered on node2 (or between the nodes)'),
      http('requests reach node2 eth0, never node2 flannel.1, no ICMP back: UDP 8472 is filtered on node2 (or between the nodes)'),
      dns('requests reach node2 eth0, never node2 flannel.1, no ICMP back: UDP 8472 is filtered on node2 (or between the nodes)'),
    ],
    anyNode: 'node2',
    notes: VXLAN_NOTES,
      },
  {
    name: 'vxlan-wrong-port',
    title: 'flannel VXLAN, the application listens on another port',
    summary: 'The server in pod-b listens on 82, the client connects to 80. Ping and DNS work; the SYN reaches pod-b and a RST comes straight back along the whole path.',
    reportedAs: 'Seed 001: nginx listened on 82 instead of 80; ping worked, TCP was refused.',
    cni: 'flannel-vxlan',
    serverTcpPorts: [],
    fault: {
      kind: 'wrong-port',
      description: 'the server in pod-b listens on TCP 82; its clients use 80',
      node: 'pod-b',
      background: true,
      commands: [{ host: 'pod-b', command: `${LABNET} serve --tcp 82 --udp 53 --answer 10.244.2.2` }],
    },
    flows: [ping(OK), http('the SYN reaches pod-b and pod-b answers RST: nothing listens on port 80 (network fine, application on another port)'), dns(OK)],
    anyNode: 'node2',
    notes: VXLAN_NOTES,
  },
  {
    name: 'vxlan-mtu-frag-needed',
    title: 'flannel VXLAN, pod MTU 1500 over a 1450 overlay (ICMP frag-needed comes back)',
    summary: 'The pods and cni0 use MTU 1500 while flannel.1 has 1450. Small packets pass. A 1500-byte ping with DF stops at the node, which answers ICMP frag-needed (mtu 1450); TCP recovers because the server gets the same error for its large segments and shrinks them.',
    reportedAs: 'Seed 001: large packets lost, MTU of docker/CNI/NIC; check with ping -s and DF.',
    cni: 'flannel-vxlan',
    responseBytes: 6000,
    fault: {
      kind: 'mtu-mismatch',
      description: 'pods and cni0 on both nodes use MTU 1500; flannel.1 is 1450',
      node: 'node1',
      commands: podMtu1500(),
    },
    flows: [
      ping(OK),
      http('works after PMTU discovery: pod-b\'s 1500-byte segments draw ICMP frag-needed from node2 and are resent smaller', {
        description: 'pod-a sends one HTTP request to pod-b:80; the response is 6000 bytes',
      }),
      ping('the 1500-byte DF echo requests stop at node1 after cni0; node1 sends ICMP frag-needed (mtu 1450): the pod MTU is larger than the overlay MTU', {
        id: 'ping-1500', icmpId: 0x4802, size: 1472, df: true, description: 'ping -M do -s 1472 pod-a → pod-b: 3 echo requests of 1500 bytes with DF',
      }),
      dns(OK),
    ],
    anyNode: 'node2',
    notes: [
      ...VXLAN_NOTES,
      'Once ping gets the frag-needed, the kernel caches the path MTU and refuses to send the next 1500-byte DF pings (ping reports "message too long" locally): fewer requests reach the wire than ping tried.',
    ],
  },
  {
    name: 'vxlan-mtu-blackhole',
    title: 'flannel VXLAN, pod MTU 1500 over a 1450 overlay, ICMP filtered (MTU black hole)',
    summary: 'As vxlan-mtu-frag-needed, but the nodes drop outgoing ICMP frag-needed. Small packets and the TCP handshake pass; 1500-byte DF pings and the server\'s full-size segments vanish between cni0 and flannel.1 without any error: the client waits for a response that never comes.',
    reportedAs: 'Seed 001: large packets lost while ping works (MTU); a classic PMTU black hole.',
    cni: 'flannel-vxlan',
    responseBytes: 6000,
    fault: {
      kind: 'mtu-blackhole',
      description: 'pods and cni0 use MTU 1500 over flannel.1 (1450) and both nodes drop the ICMP frag-needed they generate',
      node: 'node2',
      commands: podMtu1500((n) => [{ host: n, command: 'iptables -A OUTPUT -p icmp --icmp-type fragmentation-needed -j DROP' }]),
    },
    flows: [
      ping(OK),
      http('handshake and request pass; pod-b\'s full-size response segments reach node2 cni0 and vanish before flannel.1: an MTU black hole on the return path', {
        description: 'pod-a sends one HTTP request to pod-b:80; the response is 6000 bytes',
      }),
      ping('the 1500-byte DF echo requests reach node1 cni0 and vanish before flannel.1, with no ICMP error: an MTU black hole (pod MTU above the overlay MTU, frag-needed filtered)', {
        id: 'ping-1500', icmpId: 0x4802, size: 1472, df: true, description: 'ping -M do -s 1472 pod-a → pod-b: 3 echo requests of 1500 bytes with DF',
      }),
      dns(OK),
    ],
    anyNode: 'node2',
    notes: VXLAN_NOTES,
  },
  {
    name: 'vxlan-service-forward-drop',
    title: 'flannel VXLAN, ClusterIP service DNAT + MASQUERADE, FORWARD DROP on the endpoint\'s node',
    summary: 'pod-a calls the ClusterIP 10.108.94.160:80 and the DNS service 10.96.0.10:53. kube-proxy on node1 DNATs both to pod-b on node2 and masquerades them to flannel.1\'s address, so the same packet carries different addresses on the pod veth, cni0 and flannel.1. node2\'s FORWARD policy DROP discards them after flannel.1.',
    reportedAs: 'Seed 002: ClusterIP → KUBE-SVC → KUBE-SEP DNAT, mark 0x4000, MASQUERADE to flannel.1\'s address; dropped by the FORWARD policy on node02.',
    cni: 'flannel-vxlan',
    setup: [
      ...[
        'iptables -t nat -N KUBE-SERVICES',
        'iptables -t nat -N KUBE-POSTROUTING',
        'iptables -t nat -N KUBE-MARK-MASQ',
        'iptables -t nat -N KUBE-SVC-PIU4JA5FNNNHNOAJ',
        'iptables -t nat -N KUBE-SEP-EKAXC3AGUDPBQ32C',
        'iptables -t nat -N KUBE-SVC-TCOU7JCQXEZGVUNU',
        'iptables -t nat -N KUBE-SEP-IT2ZTR26TO4XFPTO',
        'iptables -t nat -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        'iptables -t nat -A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        'iptables -t nat -I POSTROUTING 1 -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
        'iptables -t nat -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
        'iptables -t nat -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
        'iptables -t nat -A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
        'iptables -t nat -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
        'iptables -t nat -A KUBE-SERVICES -d 10.108.94.160/32 -p tcp -m comment --comment "nginx-test/nginx-service cluster IP" -m tcp --dport 80 -j KUBE-SVC-PIU4JA5FNNNHNOAJ',
        'iptables -t nat -A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU',
        // kube-proxy --masquerade-all: every service packet is marked for SNAT.
        'iptables -t nat -A KUBE-SVC-PIU4JA5FNNNHNOAJ -d 10.108.94.160/32 -p tcp -m comment --comment "nginx-test/nginx-service cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ',
        'iptables -t nat -A KUBE-SVC-PIU4JA5FNNNHNOAJ -m comment --comment "nginx-test/nginx-service -> 10.244.2.2:80" -j KUBE-SEP-EKAXC3AGUDPBQ32C',
        'iptables -t nat -A KUBE-SEP-EKAXC3AGUDPBQ32C -s 10.244.2.2/32 -m comment --comment "nginx-test/nginx-service" -j KUBE-MARK-MASQ',
        'iptables -t nat -A KUBE-SEP-EKAXC3AGUDPBQ32C -p tcp -m comment --comment "nginx-test/nginx-service" -m tcp -j DNAT --to-destination 10.244.2.2:80',
        'iptables -t nat -A KUBE-SVC-TCOU7JCQXEZGVUNU -d 10.96.0.10/32 -p udp -m comment --comment "kube-system/kube-dns:dns cluster IP" -m udp --dport 53 -j KUBE-MARK-MASQ',
        'iptables -t nat -A KUBE-SVC-TCOU7JCQXEZGVUNU -m comment --comment "kube-system/kube-dns:dns -> 10.244.2.2:53" -j KUBE-SEP-IT2ZTR26TO4XFPTO',
        'iptables -t nat -A KUBE-SEP-IT2ZTR26TO4XFPTO -s 10.244.2.2/32 -m comment --comment "kube-system/kube-dns:dns" -j KUBE-MARK-MASQ',
        'iptables -t nat -A KUBE-SEP-IT2ZTR26TO4XFPTO -p udp -m comment --comment "kube-system/kube-dns:dns" -m udp -j DNAT --to-destination 10.244.2.2:53',
      ].map((command) => ({ host: 'node1', command })),
    ],
    services: [
      { name: 'nginx-test/nginx-service', clusterIp: '10.108.94.160', port: 80, protocol: 'tcp', endpoints: ['10.244.2.2:80'] },
      { name: 'kube-system/kube-dns', clusterIp: '10.96.0.10', port: 53, protocol: 'udp', endpoints: ['10.244.2.2:53'] },
    ],
    fault: {
      kind: 'forward-policy-drop',
      description: 'iptables FORWARD policy DROP on node2, the endpoint\'s node',
      node: 'node2',
      commands: [{ host: 'node2', command: 'iptables -P FORWARD DROP' }],
    },
    flows: [
      ping(vxlanForwardStop('FORWARD policy DROP, or ip_forward=0'), { description: 'ping pod-a → pod-b directly (no service), 3 echo requests' }),
      http(vxlanForwardStop('FORWARD policy DROP, or ip_forward=0') + '; the request was DNATed 10.108.94.160:80 → 10.244.2.2:80 and masqueraded to 10.244.1.0 on node1', {
        description: 'pod-a opens TCP to the ClusterIP 10.108.94.160:80 (one endpoint: pod-b:80)',
        to: { ip: '10.108.94.160', port: 80, server: 'pod-b', serverPort: 80 },
      }),
      dns(vxlanForwardStop('FORWARD policy DROP, or ip_forward=0') + '; the query was DNATed 10.96.0.10:53 → 10.244.2.2:53 and masqueraded on node1', {
        description: 'pod-a sends one DNS query to the kube-dns ClusterIP 10.96.0.10:53 (endpoint pod-b:53)',
        to: { ip: '10.96.0.10', port: 53, server: 'pod-b', serverPort: 53 },
      }),
    ],
    anyNode: 'node1',
    notes: [
      ...VXLAN_NOTES,
      'br_netfilter is on (net.bridge.bridge-nf-call-iptables=1, as Kubernetes requires): the DNAT happens when the frame enters cni0, so the cni0 capture already shows the endpoint address; only the pod veth shows the ClusterIP.',
      'MASQUERADE --random-fully (kube-proxy\'s default) also rewrites the source port: follow the TCP flow by its sequence numbers, the DNS one by its transaction id.',
      'The -i any capture here is on node1, where the NAT happens: it shows the same packet once per interface, with different addresses.',
    ],
  },
  {
    name: 'vxlan-return-path-drop',
    title: 'flannel VXLAN, replies dropped on the way back',
    summary: 'node1 runs a FORWARD policy DROP with a rule that lets pods send (-i cni0 ACCEPT) but nothing that lets the answers back in. Requests reach pod-b and pod-b answers; the replies are decapsulated on node1 flannel.1 and die before cni0.',
    reportedAs: 'Seed 001 (capture both ends at once, then the points between) and seed 002 (a FORWARD chain that only matches one direction).',
    cni: 'flannel-vxlan',
    fault: {
      kind: 'return-path-drop',
      description: 'node1 FORWARD policy DROP with only "-i cni0 -j ACCEPT": outgoing pod traffic is forwarded, the replies are not',
      node: 'node1',
      commands: [
        { host: 'node1', command: 'iptables -A FORWARD -i cni0 -j ACCEPT' },
        { host: 'node1', command: 'iptables -P FORWARD DROP' },
      ],
    },
    flows: [
      ping('requests reach pod-b and pod-b replies; the replies reach node1 flannel.1 and never cni0: node1 drops the return traffic (FORWARD)'),
      http('the SYN reaches pod-b, the SYN-ACK reaches node1 flannel.1 and never cni0: node1 drops the return traffic (FORWARD)'),
      dns('the query reaches pod-b, the answer reaches node1 flannel.1 and never cni0: node1 drops the return traffic (FORWARD)'),
    ],
    anyNode: 'node1',
    notes: [...VXLAN_NOTES, 'pod-b retransmits its SYN-ACK, so replies outnumber requests on node2.'],
  },
  // ------------------------------------------------------------------ flannel UDP backend
  {
    name: 'udp-healthy',
    title: 'flannel UDP backend (flannel0), healthy',
    summary: 'Pod to pod over flannel0: docker0 → flannel0 (a TUN device, raw IP) → flanneld → UDP 8285 between the nodes → flanneld → flannel0 → docker0. A 64-byte ping shows as "UDP, length 84" on eth0.',
    reportedAs: 'Seed 000: the flannel0/docker0 path, traced with tcpdump on each device.',
    cni: 'flannel-udp',
    fault: null,
    flows: [ping(OK), http(OK), dns(OK)],
    anyNode: 'node2',
    notes: [
      'flannel0 captures are link type raw IP (no Ethernet header), like tunl0; the UDP 8285 payload is the bare IP packet.',
      'flanneld here is a stand-in (scripts/lab/labnet.py flanneld) that does what flanneld\'s UDP backend does: read flannel0, send the packet in UDP 8285 from port 8285 to the node that owns the subnet, write what arrives to flannel0.',
    ],
  },
  {
    name: 'udp-forward-drop',
    title: 'flannel UDP backend, FORWARD policy DROP on the destination node',
    summary: 'Docker\'s FORWARD policy DROP on node2; Docker\'s own rules only accept traffic leaving docker0 and the established replies. The ping is on node2 flannel0 and never on docker0, exactly as in the incident.',
    reportedAs: 'Seed 000: "flannel0 on the target gets the packets, docker0 gets none" — iptables -P FORWARD ACCEPT fixed it.',
    cni: 'flannel-udp',
    fault: {
      kind: 'forward-policy-drop',
      description: 'iptables FORWARD policy DROP (as Docker 1.13+ sets it) on node2',
      node: 'node2',
      commands: [{ host: 'node2', command: 'iptables -P FORWARD DROP' }],
    },
    flows: [
      ping('requests reach node2 flannel0 but never docker0: node2 does not forward them (FORWARD policy DROP, or ip_forward=0); no reply'),
      http('requests reach node2 flannel0 but never docker0: node2 does not forward them (FORWARD policy DROP, or ip_forward=0); no reply'),
      dns('requests reach node2 flannel0 but never docker0: node2 does not forward them (FORWARD policy DROP, or ip_forward=0); no reply'),
    ],
    anyNode: 'node2',
    notes: ['flannel0 captures are link type raw IP (no Ethernet header).'],
    ci: true,
  },
  {
    name: 'udp-8285-blocked',
    title: 'flannel UDP backend, UDP 8285 blocked on the destination node',
    summary: 'node2 drops UDP 8285 in INPUT. The encapsulated requests are on node2 eth0 and never reach flanneld, so node2 flannel0 stays empty.',
    reportedAs: 'Seed 000: verify the firewall between the hosts with nc -u and tcpdump on the NIC.',
    cni: 'flannel-udp',
    fault: {
      kind: 'overlay-port-blocked',
      description: 'iptables INPUT drops UDP 8285 on node2',
      node: 'node2',
      commands: [{ host: 'node2', command: 'iptables -I INPUT -p udp --dport 8285 -j DROP' }],
    },
    flows: [
      ping('requests reach node2 eth0 (UDP 8285) and never node2 flannel0, no ICMP back: UDP 8285 is filtered on node2'),
      http('requests reach node2 eth0 (UDP 8285) and never node2 flannel0, no ICMP back: UDP 8285 is filtered on node2'),
      dns('requests reach node2 eth0 (UDP 8285) and never node2 flannel0, no ICMP back: UDP 8285 is filtered on node2'),
    ],
    anyNode: 'node2',
    notes: ['flannel0 captures are link type raw IP (no Ethernet header).'],
  },
  {
    name: 'udp-8285-blocked-outbound',
    title: 'flannel UDP backend, UDP 8285 blocked leaving the source node',
    summary: 'node1 drops UDP 8285 in OUTPUT: flanneld reads the pods\' packets from flannel0, and its datagrams to node2 never leave. The requests are on node1 docker0 and flannel0 and never on eth0. Without flannel0\'s capture the loss is between docker0 and eth0, where the route into flannel0 is the right one and no cause.',
    reportedAs: 'A host whose OUTPUT chain lets only known ports out (hardened images do), on seed 000\'s flannel0/docker0 path: the datagrams stop at the source, not the target.',
    cni: 'flannel-udp',
    fault: {
      kind: 'overlay-port-blocked-outbound',
      description: 'iptables OUTPUT drops UDP 8285 on node1',
      node: 'node1',
      commands: [{ host: 'node1', command: 'iptables -I OUTPUT -p udp --dport 8285 -j DROP' }],
    },
    flows: [
      ping('requests reach node1 flannel0 and never node1 eth0: flanneld on node1 cannot send UDP 8285 (OUTPUT filtered); no reply'),
      http('requests reach node1 flannel0 and never node1 eth0: flanneld on node1 cannot send UDP 8285 (OUTPUT filtered); no reply'),
      dns('requests reach node1 flannel0 and never node1 eth0: flanneld on node1 cannot send UDP 8285 (OUTPUT filtered); no reply'),
    ],
    anyNode: 'node1',
    notes: ['flannel0 captures are link type raw IP (no Ethernet header).', 'flanneld (the stand-in) keeps reading flannel0 and drops what it cannot send.'],
  },
  // ------------------------------------------------------------------ Calico IP-in-IP
  {
    name: 'calico-healthy',
    title: 'Calico IP-in-IP, healthy',
    summary: 'Routed cali* veths (the pod\'s gateway 169.254.1.1 answered by proxy ARP), IP-in-IP through tunl0 between the nodes, and NAT-outgoing to an outside host: every flow goes and comes back.',
    reportedAs: 'Seed 004\'s healthy node: replies are de-NATed on eth0 and forwarded to the cali veth.',
    cni: 'calico-ipip',
    fault: null,
    flows: [
      ping(OK),
      http(OK),
      dns(OK),
      ping(OK, { id: 'ping-outside', icmpId: 0x4803, to: 'outside', description: 'ping pod-a → 203.0.113.10 (outside the cluster, SNAT to node1\'s address)' }),
      http(OK, { id: 'http-outside', to: 'outside', clientPort: 40081, description: 'pod-a opens TCP to 203.0.113.10:80 (SNAT to node1\'s address)' }),
    ],
    anyNode: 'node1',
    notes: [
      'tunl0 is a TUN stand-in for the ipip device (this kernel lacks the ipip module); its captures are link type raw IP as the real tunl0\'s are, and eth0 shows IPv4 protocol 4 with DF clear.',
      'The pod ARPs for 169.254.1.1 and the cali veth answers with ee:ee:ee:ee:ee:ee (proxy ARP).',
      'MASQUERADE --random-fully may change the ICMP identifier and the TCP source port between the cali veth and eth0.',
    ],
  },
  {
    name: 'calico-snat-forward-off',
    title: 'Calico, NAT-outgoing with forwarding off on the node (replies stop at eth0)',
    summary: 'After `systemctl restart network` node1 has net.ipv4.ip_forward=0 and Felix turned forwarding back on for its cali* interfaces only. pod-a\'s packets still go out (they enter on a cali veth), are SNATed to 10.39.0.110 and answered; the replies are de-NATed on eth0 but not forwarded to the pod.',
    reportedAs: 'Seed 004: ping 8.8.8.8 from a pod, echo requests and replies on eth0, only requests on the cali veth; ip_forward was 0.',
    cni: 'calico-ipip',
    fault: {
      kind: 'ip-forward-off',
      description: 'net.ipv4.ip_forward=0 on node1 (systemctl restart network), then forwarding=1 on the cali interface (Felix reconfigures its workload interfaces)',
      node: 'node1',
      commands: [
        { host: 'node1', command: 'sysctl -w net.ipv4.ip_forward=0' },
        { host: 'node1', command: 'sysctl -w net.ipv4.conf.calidc7f3a1b60c.forwarding=1' },
      ],
    },
    flows: [
      ping('requests leave through node1 eth0 (SNATed) and replies come back to node1 eth0 but never reach the cali veth: node1 does not forward (ip_forward=0 on eth0)', {
        id: 'ping-outside', icmpId: 0x4803, to: 'outside', description: 'ping pod-a → 203.0.113.10 (outside the cluster, SNAT to node1\'s address)',
      }),
      http('the SYN leaves node1 eth0 (SNATed), the SYN-ACK comes back to node1 eth0 and never reaches the cali veth: node1 does not forward (ip_forward=0 on eth0)', {
        id: 'http-outside', to: 'outside', clientPort: 40081, description: 'pod-a opens TCP to 203.0.113.10:80 (SNAT to node1\'s address)',
      }),
      dns('the query leaves node1 eth0 (SNATed), the answer comes back to node1 eth0 and never reaches the cali veth: node1 does not forward (ip_forward=0 on eth0)', {
        id: 'dns-outside', to: 'outside', description: 'pod-a sends one DNS query to 203.0.113.10:53 (SNAT to node1\'s address)',
      }),
      ping('requests leave node1 through tunl0 and get answered by pod-b; the replies reach node1 eth0 and tunl0 and never the cali veth: node1 does not forward (ip_forward=0 on tunl0)'),
    ],
    anyNode: 'node1',
    notes: [
      'The kernel decides whether to forward by the input interface\'s forwarding flag: ip_forward=0 sets it to 0 everywhere, Felix sets it back to 1 on cali*, so packets from the pod are forwarded and packets to the pod are not.',
      'tunl0 is a TUN stand-in for the ipip device (this kernel lacks the ipip module); its captures are link type raw IP.',
      'MASQUERADE --random-fully may change the ICMP identifier and the TCP source port between the cali veth and eth0.',
    ],
    ci: true,
  },
];
