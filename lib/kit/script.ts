/**
 * The capture kit: one POSIX shell script, run as root on each node, that finds the hops of the
 * pods' traffic on that node itself, captures every one of them at once for a while, records the
 * node's network state beside the captures and packs it all into `<node>-hopscope.tar.gz`.
 *
 * What tcpdump should be pointed at follows from the kernel's own tables (DOMAIN.md):
 *   - `ip route get POD`: the device a packet to the pod leaves by: its veth (Calico's cali*,
 *     Cilium's lxc*), the bridge (flannel's cni0, which also needs the veth found below), or the
 *     overlay device for a pod of another node;
 *   - a bridged pod's veth is the bridge port that learned the pod's MAC (`ip neigh`, then
 *     `bridge fdb`);
 *   - every overlay device (`ip -d -o link`: vxlan, geneve, ipip, gre, wireguard, tun) and the
 *     underlay NIC it sends over (the vxlan's `dev`, else the default route's device).
 * The script changes nothing on the node except its own output folder (a bridged pod the node
 * has no neighbour entry for gets one ping, so that the kernel resolves its MAC), tolerates missing tools
 * (listed in the manifest) and on Ctrl-C still stops the captures together and packs what it has.
 * It is plain POSIX sh: dash, busybox sh and bash run it; shellcheck passes it.
 */
import { ENCAPSULATION_UDP_PORTS } from '../protocols/opaque';
import { VXLAN } from '../protocols/overlays';

export interface KitOptions {
  /** The pods' addresses (IPv4 or IPv6), at least one. */
  pods: string[];
  /** The service port the problem is about, for the manifest (the captures keep every port). */
  port?: number;
  /** How long the captures run, in seconds. */
  seconds?: number;
  /** Ring buffer per interface: this many MB a file, two files. */
  ringMb?: number;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^[0-9a-f:]+$/i;

/** UDP ports of the overlay whose inner IPv4 header sits at a fixed place (VXLAN: 8 + 8 + 14 + 12). */
const VXLAN_PORTS = VXLAN.udpPorts;
/**
 * The other encapsulations the analysis knows, matched by port only: flannel UDP, Geneve (its
 * options vary its length), VXLAN-GPE, GUE/FOU, and the tunnels it names but cannot open
 * (WireGuard, Calico's IPv6 one on 51821 too, IPsec NAT-T, …), so that a flow carried in one of
 * them is not missing from the NIC's capture.
 */
const OTHER_UDP_PORTS = [...ENCAPSULATION_UDP_PORTS.keys()].filter((p) => !VXLAN_PORTS.includes(p));

export class KitOptionError extends Error {
  override name = 'KitOptionError';
}

/** The BPF filter for the NIC: the pods' packets plain, and their encapsulated form. */
export function nicFilter(pods: string[]): string {
  const v4 = pods.filter((p) => IPV4.test(p));
  const hex = (ip: string) => `0x${ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('')}`;
  const inner = v4.flatMap((ip) => [`udp[42:4] = ${hex(ip)}`, `udp[46:4] = ${hex(ip)}`]).join(' or ');
  const vxlan = `(${VXLAN_PORTS.map((p) => `udp port ${p}`).join(' or ')})`;
  const parts = [
    `(${innerFilter(pods)})`,
    v4.length > 0 ? `(${vxlan} and (${inner}))` : vxlan,
    ...OTHER_UDP_PORTS.map((p) => `udp port ${p}`),
    // IP-in-IP, GRE, ESP; IPv6-in-IPv4; ICMP errors about tunnels (frag-needed, port unreachable).
    'ip proto 4',
    'ip proto 47',
    'ip proto 50',
    'ip proto 41',
    'icmp',
  ];
  return parts.join(' or ');
}

/** The BPF filter for the inner devices: the pods' packets, and the ARP and ND that find them. */
export function innerFilter(pods: string[]): string {
  return [...pods.map((p) => `host ${p}`), 'arp', 'icmp6'].join(' or ');
}

export function kitScript(opts: KitOptions, generatedAt = new Date()): string {
  if (opts.pods.length === 0) throw new KitOptionError('give at least one pod address (--pod 10.244.1.2)');
  for (const p of opts.pods) if (!IPV4.test(p) && !IPV6.test(p)) throw new KitOptionError(`${JSON.stringify(p)} is not an IP address`);
  const seconds = opts.seconds ?? 60;
  const ring = opts.ringMb ?? 100;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 86_400) throw new KitOptionError('--seconds takes a whole number from 1 to 86400');
  if (!Number.isInteger(ring) || ring < 1 || ring > 10_000) throw new KitOptionError('--ring-mb takes a whole number from 1 to 10000');
  if (opts.port !== undefined && (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535)) throw new KitOptionError('--port takes a port number');
  const pods = opts.pods.join(' ');
  return `#!/bin/sh
# Hopscope capture kit, made by \`hopscope kit\` on ${generatedAt.toISOString()}
# for the pods ${pods}${opts.port !== undefined ? `, port ${opts.port}` : ''}.
#
# Run it as root on every node the pods' traffic crosses (the nodes of both pods):
#   sh hopscope-kit.sh
# It finds this node's hops for those pods (their veths, the bridge, every overlay device and the
# underlay NIC), captures all of them at once for ${seconds} s (a ${ring} MB ring buffer each),
# records the node's network state beside them, and packs everything into
# ./<node>-hopscope.tar.gz. Reproduce the problem while it runs; Ctrl-C stops early and still packs.
#
# It changes nothing on this node except its own folder ./<node>-hopscope: no sysctl, no rule,
# no route, no link is touched (a bridged pod the node has no neighbour entry for is pinged
# once, so that the kernel resolves its MAC); tcpdump runs with -p, so no device is put in promiscuous mode
# either (the pods' veths see all their traffic; the bridge, what it routes). Tools that are
# missing are listed in the manifest.
set -u
set -f
PATH="$PATH:/usr/sbin:/sbin"

PODS='${pods}'
PORT='${opts.port ?? ''}'
RUN_SECONDS=${seconds}
RING_MB=${ring}
INNER_FILTER='${innerFilter(opts.pods)}'
NIC_FILTER='${nicFilter(opts.pods)}'

have() { command -v "$1" >/dev/null 2>&1; }
say() { printf 'hopscope-kit: %s\\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || { say "run me as root (sudo sh $0): tcpdump needs it"; exit 1; }
for t in ip tcpdump tar; do have "$t" || { say "$t is missing: install it and run me again"; exit 1; }; done

NODE=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)
OUT="./$NODE-hopscope"
[ -e "$OUT" ] && { say "$OUT exists already: move it away first"; exit 1; }
mkdir -p "$OUT/state" "$OUT/captures" || exit 1
# Interrupted before the captures start (Ctrl-C, an ssh that drops): leave nothing behind.
trap 'say "interrupted before the captures started: nothing kept"; rm -rf "$OUT"; exit 130' INT TERM HUP
missing=""
note_missing() { case " $missing " in *" $1 "*) ;; *) missing="$missing $1" ;; esac; }

# --- the hops of this node -----------------------------------------------------------------
ifaces=""
add_iface() {
  [ -n "$1" ] || return 0
  [ -e "/sys/class/net/$1" ] || return 0
  case " $ifaces " in *" $1 "*) ;; *) ifaces="$ifaces $1" ;; esac
}
# The value after a keyword in a line of ip's output: "... dev cni0 src ..." -> cni0.
after() { sed -n "s/.* $1 \\([^ ]*\\).*/\\1/p" | head -n 1; }

for pod in $PODS; do
  dev=$(ip route get "$pod" 2>/dev/null | after dev)
  add_iface "$dev"
  # A bridged pod: its veth is the bridge port that learned the pod's MAC.
  mac=$(ip neigh show "$pod" 2>/dev/null | after lladdr)
  if [ -z "$mac" ] && [ -e "/sys/class/net/$dev/bridge" ]; then
    # The node has not talked to the pod lately (pods that only talk among themselves, no
    # probe): one ping makes the kernel resolve its MAC, whether or not a policy lets it answer.
    pinger=ping
    case "$pod" in *:*) have ping6 && pinger=ping6 ;; esac
    if have "$pinger"; then
      say "no neighbour entry for $pod on $dev: one ping to learn its MAC"
      "$pinger" -c 1 -W 1 "$pod" >/dev/null 2>&1 || true
    else
      note_missing ping
    fi
    mac=$(ip neigh show "$pod" 2>/dev/null | after lladdr)
  fi
  if [ -n "$mac" ] && have bridge; then
    port=$(bridge fdb show 2>/dev/null | grep -i "^$mac dev " | grep -v ' self' | after dev)
    add_iface "$port"
  fi
  # The bridge a veth belongs to.
  master=$(ip -o link show dev "$dev" 2>/dev/null | after master)
  add_iface "$master"
done
# Every overlay device, and the NIC it sends over (the NICs get the filter for encapsulated copies).
ip -d -o link show 2>/dev/null > "$OUT/state/ip-d-link.txt"
TUNNEL_KINDS=' vxlan geneve ipip gre ip6tnl sit wireguard tun '
kind_of() { # the kind of device $1 in ip -d link: vxlan, bridge, veth, … ("" for a plain NIC)
  # The kind opens one of the backslash-separated parts ip -d -o prints ("\\    vxlan id 1 …"):
  # never a word inside another part (a macvlan's "mode bridge").
  l=$(grep "^[0-9]*: \${1}[:@]" "$OUT/state/ip-d-link.txt" 2>/dev/null | head -n 1)
  for k in vxlan geneve ipip gre ip6tnl sit wireguard tun bridge dummy veth; do
    case "$l" in *'\\    '"$k "*) echo "$k"; return ;; esac
  done
}
nics=""
add_nic() { [ -n "$1" ] && [ -e "/sys/class/net/$1" ] && { add_iface "$1"; nics="$nics $1"; }; }
while IFS= read -r line; do
  name=$(printf '%s\\n' "$line" | sed -n 's/^[0-9]*: \\([^:@ ]*\\).*/\\1/p')
  case "$name" in lo|"") continue ;; esac
  case "$TUNNEL_KINDS" in *" $(kind_of "$name") "*) ;; *) continue ;; esac
  add_iface "$name"
  add_nic "$(printf '%s\\n' "$line" | after dev)"
done < "$OUT/state/ip-d-link.txt"
add_nic "$(ip route show default 2>/dev/null | after dev)"
add_nic "$(ip -6 route show default 2>/dev/null | after dev)"
# Only where neither named a NIC (no default route; flannel's UDP backend, IP-in-IP bound to no
# device): the devices with a global address that are no bridge, tunnel or dummy carry the underlay.
[ -n "$nics" ] || for dev in $(ip -o addr show scope global 2>/dev/null | sed -n 's/^[0-9]*: *\\([^ ]*\\) .*/\\1/p' | sort -u); do
  [ "$dev" = lo ] && continue # a BGP speaker's /32 on lo carries nothing of the pods'
  case "\${TUNNEL_KINDS}bridge dummy " in *" $(kind_of "$dev") "*) ;; *) add_nic "$dev" ;; esac
done
[ -n "$ifaces" ] || { say "found no interface for $PODS on $NODE"; exit 1; }

# --- state before (and again after: a rule or a link that changed meanwhile shows) --------
state() { # state FILE COMMAND...: the command's output, or a note that it is missing
  f=$1; shift
  if have "$1"; then "$@" > "$OUT/state/$f" 2>&1 || true; else note_missing "$1"; fi
}
snapshot() { # snapshot SUFFIX: the tables that decide a packet's fate, into FILE$SUFFIX.txt
  s=$1
  state "ip-route$s.txt" ip route show table all
  state "ip-6-route$s.txt" ip -6 route show table all
  state "ip-rule$s.txt" ip rule show
  state "ip-6-rule$s.txt" ip -6 rule show
  state "ip-neigh$s.txt" ip neigh show
  state "bridge-fdb$s.txt" bridge fdb show
  state "iptables-save$s.txt" iptables-save
  state "ip6tables-save$s.txt" ip6tables-save
  state "nft-ruleset$s.txt" nft list ruleset
  [ -n "$s" ] && state "ip-d-link$s.txt" ip -d -o link show
  set +f
  for f in /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding /proc/sys/net/ipv4/conf/*/forwarding /proc/sys/net/ipv4/conf/*/rp_filter /proc/sys/net/bridge/bridge-nf-call-*; do
    [ -r "$f" ] && printf '%s = %s\\n' "$(printf '%s' "\${f#/proc/sys/}" | tr / .)" "$(cat "$f")"
  done > "$OUT/state/sysctl$s.txt" 2>/dev/null
  set -f
}
cat /proc/net/dev > "$OUT/state/net-dev-before.txt" 2>/dev/null || true
state ip-j-addr.json ip -j addr
snapshot ""

# --- captures: all at once, stopped together -----------------------------------------------
pids=""
# The run's window, for Hopscope to tell "not captured" from "not there": started once every
# tcpdump listens, stopped before any is told to stop.
started=""
stopped=""
late=""
wrapped=""
for i in $ifaces; do
  filter=$INNER_FILTER
  # The NIC carries the encapsulated copies too: it is the device the overlays send over, or the default route's.
  case " $nics " in *" $i "*) filter=$NIC_FILTER ;; esac
  mkdir -p "$OUT/ring/$i"
  # -Z root: Debian's and RHEL's tcpdump otherwise drop to user tcpdump, who may not write here.
  # -p: promiscuous mode would change the node (a bridge would then hand every bridged frame to
  # any other capture running there, such as an engineer's tcpdump -i any).
  tcpdump -i "$i" -p -U -s 0 -Z root -C "$RING_MB" -W 2 -w "$OUT/ring/$i/$NODE-$i.pcap" "$filter" 2> "$OUT/state/tcpdump-$i.log" &
  pids="$pids $!"
done
sleeper=""
stop() {
  trap - INT TERM
  stopped=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
  # shellcheck disable=SC2086
  kill -INT $pids 2>/dev/null
  wait
}
trap 'say "stopping early"; stop; finish; exit 130' INT TERM HUP
# tcpdump captures only once it says "listening on": wait for every one (5 s in all), so the
# first packets of the reproduction are not missed on the interfaces started last. One that
# failed (a device that is down) has said "tcpdump: …" instead.
n=0
while [ "$n" -lt 50 ]; do
  waiting=""
  for i in $ifaces; do
    log="$OUT/state/tcpdump-$i.log"
    # A "tcpdump: WARNING: …" comes before it listens; any other "tcpdump: …" line is its failure.
    grep -q 'listening on' "$log" 2>/dev/null || grep '^tcpdump: ' "$log" 2>/dev/null | grep -qv 'WARNING' || waiting="$waiting $i"
  done
  [ -z "$waiting" ] && break
  sleep 0.1 2>/dev/null || { sleep 1; n=$((n + 9)); }
  n=$((n + 1))
done
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
# Still silent after 5 s: when it began is unknown, so its window is only its own packets'.
late=\${waiting# }
# The start is whole seconds: from the next one on, every capture surely runs.
sleep 1
say "capturing on$ifaces for $RUN_SECONDS s: reproduce the problem now (Ctrl-C stops early)"

finish() {
  cat /proc/net/dev > "$OUT/state/net-dev-after.txt" 2>/dev/null || true
  snapshot .after
  if have conntrack; then
    for pod in $PODS; do conntrack -L 2>/dev/null | grep -F "=$pod " || true; done > "$OUT/state/conntrack.txt"
  else note_missing conntrack; fi
  # Each ring (at most two files) becomes one capture, oldest first: the later file without its
  # 24-byte pcap header appended to the earlier.
  for i in $ifaces; do
    dest="$OUT/captures/$NODE-$i.pcap"
    first="$OUT/ring/$i/$NODE-$i.pcap0"
    second="$OUT/ring/$i/$NODE-$i.pcap1"
    if [ -e "$second" ] && [ -n "$(find "$first" -newer "$second" 2>/dev/null)" ]; then
      first="$OUT/ring/$i/$NODE-$i.pcap1"
      second="$OUT/ring/$i/$NODE-$i.pcap0"
    fi
    [ -e "$first" ] && cp "$first" "$dest"
    # Once the ring has a second file, the first may have been written over: the capture no
    # longer holds the run's beginning.
    [ -e "$second" ] && tail -c +25 "$second" >> "$dest" && wrapped="$wrapped $i"
  done
  rm -rf "$OUT/ring"
  {
    printf '{\\n  "kit": 3,\\n  "node": "%s",\\n' "$NODE"
    printf '  "kernel": "%s",\\n' "$(uname -r)"
    printf '  "tcpdump": "%s",\\n' "$(tcpdump --version 2>&1 | head -n 1)"
    printf '  "iproute2": "%s",\\n' "$(ip -V 2>&1 | head -n 1)"
    printf '  "clocksource": "%s",\\n' "$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)"
    printf '  "pods": "%s",\\n  "port": "%s",\\n' "$PODS" "$PORT"
    printf '  "interfaces": "%s",\\n' "\${ifaces# }"
    printf '  "missing": "%s",\\n' "\${missing# }"
    printf '  "started": "%s",\\n  "stopped": "%s",\\n  "late": "%s",\\n  "wrapped": "%s"\\n}\\n' "$started" "$stopped" "$late" "\${wrapped# }"
  } | tr -d '\\134' > "$OUT/manifest.json"
  if tar -czf "$NODE-hopscope.tar.gz" -C "$OUT" .; then
    rm -rf "$OUT"
    say "wrote $NODE-hopscope.tar.gz: drop it on Hopscope with the other nodes' bundles"
  else
    rm -f "$NODE-hopscope.tar.gz"
    say "could not pack $OUT (a full disk?): the captures and state are still in $OUT"
    exit 1
  fi
}

# In the background, so that a Ctrl-C (or a TERM) is acted on at once: sh runs a trap only
# after the command in the foreground ends, and \`wait\` is one a signal ends.
sleep "$RUN_SECONDS" &
sleeper=$!
wait "$sleeper"
stop
finish
`;
}

/** How to run the kit on each node, for the CLI to print; with the nodes' names when kubectl found them. */
export function kitHowTo(file: string, nodes: string[] = []): string {
  const debug = (n: string) => `    kubectl debug node/${n} -it --image=nicolaka/netshoot -- chroot /host sh -c "$(cat ${file})"`;
  const bundles = nodes.length > 0 ? nodes.map((n) => `${n}-hopscope.tar.gz`).join(' ') : 'node1-hopscope.tar.gz node2-hopscope.tar.gz';
  return `Run ${file} as root on each node the pods' traffic crosses${nodes.length ? ` (${nodes.join(', ')})` : ''}, then reproduce the problem:

  plain ssh:
    scp ${file} NODE: && ssh -t NODE sudo sh ${file}
    scp NODE:NODE-hopscope.tar.gz .

  Kubernetes, without ssh (a debug pod with the host's network and filesystem):
${nodes.length > 0 ? nodes.map(debug).join('\n') : debug('NODE')}
    (it writes /NODE-hopscope.tar.gz on the node; copy it out with kubectl cp from the debug pod)

Then give Hopscope every node's bundle: it analyses the captures and checks the causes against
the state each node recorded:
    npx hopscope analyze ${bundles}
(Or drop the bundles on the Hopscope page.)
`;
}
