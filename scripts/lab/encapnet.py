#!/usr/bin/env python3
"""User-space stand-ins for the encapsulations this lab's kernel has no module for (issue 13,
situation 12), run inside the lab's network namespaces. Each writes the headers the kernel (or
the daemon it imitates) would, so the captures look like the real thing on the wire.

  tunnel     an L3 tunnel device (a TUN device, link type raw IP, like the kernel's ipip and gre
             devices) whose packets travel as
               --mode ipip   IPv4 protocol 4 (`ip tunnel add NAME mode ipip`),
               --mode fou    bare IPv4 in UDP (`ip fou add port 5555 ipproto 4` and an ipip device
                             with `encap fou encap-sport auto encap-dport 5555`),
               --mode gue    IPv4 behind a GUE variant-0 header in UDP (`ip fou add port 6080 gue`
                             and `encap gue`, as kube-router's --overlay-encap=fou builds it),
               --mode gre    IPv4 in GRE, protocol 47, with key and sequence numbers
                             (`ip link add NAME type gre key K oseq iseq`).
             An ipip device with FOU or GUE encapsulation still accepts plain IP-in-IP, as the
             kernel's does.
  gpe        VXLAN-GPE (UDP 4790) carrying NSH (RFC 8300, MD type 1) carrying IPv4: a service
             function chain classifier and forwarder behind a TUN device.
  wg         a WireGuard look-alike on UDP 51820: handshake initiation and response, transport
             data messages with receiver index, counter, padding and a 16-byte tag; the payload is
             scrambled (no real cryptography), which is all a capture can tell anyway.
  erspan     a mirror session: copies every frame crossing a device (both directions) to a
             collector in ERSPAN type II or III over GRE, as `tc ... action mirred egress mirror
             dev erspan1` onto a Linux erspan device does.
  collector  the receiving end of mirror sessions: takes ERSPAN in, writes the mirrored frames to
             a TAP device (what a Linux erspan device on the collector shows), answers nothing.
  bigtcp     sets a device's IPv4 BIG TCP limits (gso_ipv4_max_size, gro_ipv4_max_size) and the
             IPv6 ones through rtnetlink: iproute2 6.1 knows only the IPv6 pair.
  dns        a DNS-like UDP server on IPv6 (and IPv4 with --ipv4): answers each query with its id.

Each long-running subcommand prints "ready" once its sockets and devices exist; clients print
one JSON line. Standard library only.
"""
import argparse
import ctypes
import fcntl
import hashlib
import ipaddress
import json
import os
import select
import signal
import socket
import struct
import sys
import time
import zlib

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IPPROTO_IPIP = 4
IPPROTO_GRE = 47
SO_ATTACH_FILTER = 26
ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
# Linux's ephemeral range: udp_flow_src_port() picks the outer source port in it.
EPHEMERAL_LOW, EPHEMERAL_HIGH = 32768, 60999


def ready():
    print("ready", flush=True)


def stop_on_signal():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))


def open_tun(name, tap=False):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), (IFF_TAP if tap else IFF_TUN) | IFF_NO_PI))
    return fd


def parse_pairs(specs, value=str):
    """CIDR=VALUE pairs: which node owns a pod subnet, which SPI a source takes."""
    out = []
    for spec in specs:
        cidr, v = spec.split("=")
        out.append((ipaddress.ip_network(cidr), value(v)))
    return out


def lookup(pairs, address):
    for net, v in pairs:
        if address in net:
            return v
    return None


def ipv4_dst(packet):
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return None
    return ipaddress.ip_address(packet[16:20])


def flow_hash(packet):
    """A hash of the inner flow as the kernel's flow dissector sees it: addresses and protocol, and
    the ports (TCP, UDP) or the echo identifier (ICMP), so every packet of a flow gets one hash."""
    ihl = (packet[0] & 0x0F) * 4
    proto = packet[9]
    if proto in (6, 17):
        extra = bytes(packet[ihl : ihl + 4])
    elif proto == 1 and packet[ihl : ihl + 1] in (b"\x00", b"\x08"):
        extra = bytes(packet[ihl + 4 : ihl + 6])
    else:
        extra = b""
    return zlib.crc32(bytes(packet[12:20]) + bytes([proto]) + extra)


def flow_src_port(packet):
    # udp_flow_src_port(): the hash scaled into the ephemeral range (RFC 7348 §5, RFC 8086 §3.2).
    return EPHEMERAL_LOW + (flow_hash(packet) * (EPHEMERAL_HIGH - EPHEMERAL_LOW) >> 32)


_FILTERS = []


def deaf(sock):
    """A raw socket used only to send gets a copy of every packet of its protocol: drop them all."""
    insn = ctypes.create_string_buffer(struct.pack("HBBI", 0x06, 0, 0, 0))  # BPF_RET | BPF_K, 0
    _FILTERS.append(insn)
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, struct.pack("HL", 1, ctypes.addressof(insn)))
    return sock


def local_address(dst):
    """The source address the kernel would pick toward `dst` (a routing lookup, nothing sent)."""
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.connect((str(dst), 9))
    addr = u.getsockname()[0]
    u.close()
    return addr


class RawSender:
    """Outer IPv4 headers written here (IP_HDRINCL), as a kernel tunnel device writes them: the
    protocol, TTL (fixed, or the inner packet's), DF (always, or the inner packet's), and an IP
    identification counted per destination (ip_tunnel_xmit() numbers DF packets too, where an
    unconnected raw socket would leave them 0). The kernel fills in the header checksum."""

    def __init__(self, proto, ttl=None, df=True):
        self.proto = proto
        self.ttl = ttl
        self.df = df
        self.sock = deaf(socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW))
        self.sources = {}
        self.ids = {}

    def send(self, payload, dst, inner=None):
        dst = str(dst)
        if dst not in self.sources:
            self.sources[dst] = socket.inet_aton(local_address(dst))
            self.ids[dst] = int.from_bytes(os.urandom(2), "big")
        ttl = self.ttl if self.ttl is not None else (max(inner[8], 1) if inner else 64)
        df = self.df or bool(inner and inner[6] & 0x40)
        ident = self.ids[dst]
        self.ids[dst] = (ident + 1) & 0xFFFF
        header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000 if df else 0, ttl, self.proto, 0, self.sources[dst], socket.inet_aton(dst))
        send_quietly(self.sock, header + payload, (dst, 0))


def send_quietly(sock, data, addr):
    try:
        sock.sendto(data, addr)
    except OSError:
        pass  # EPERM from an OUTPUT rule, EMSGSIZE past the path MTU: the packet is lost, as in the kernel


def udp_header(sport, dport, payload):
    # Checksum zero: allowed over IPv4 (RFC 768), the kernel's default for FOU, GUE and VXLAN-GPE.
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)


# ---------------------------------------------------------------------------------------------
# tunnel: ipip, fou, gue, gre

# GUE variant 0 (draft-ietf-intarea-gue-09 §3.1): Var(2)=0 C(1)=0 Hlen(5)=0 | Proto/ctype | Flags(16)=0.
GUE_V0 = struct.Struct("!BBH")
# GRE (RFC 2890): C(1) R K S | Reserved0 | Ver(3) | Protocol Type, then key and sequence number.
GRE_K = 0x2000
GRE_S = 0x1000
GRE_C = 0x8000


class Tunnel:
    def __init__(self, args):
        self.args = args
        self.routes = parse_pairs(args.route, ipaddress.ip_address)
        self.tun = open_tun(args.dev)
        self.seq = 0
        inherit = args.ttl == "inherit"
        self.ttl = None if inherit else int(args.ttl)
        mode = args.mode
        # ttl inherit: the outer TTL is the inner one's; pmtudisc: DF set (`ip link add … ttl 225`
        # is pmtudisc; `ip tunnel add … mode ipip` without options is ttl inherit, nopmtudisc).
        proto = {"fou": socket.IPPROTO_UDP, "gue": socket.IPPROTO_UDP, "gre": IPPROTO_GRE}.get(mode, IPPROTO_IPIP)
        self.tx = RawSender(proto, self.ttl, df=args.pmtudisc)
        self.rx = []
        if mode in ("fou", "gue"):
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.bind(("0.0.0.0", args.port))
            self.rx.append(("udp", u))
        if mode in ("fou", "gue", "ipip"):
            self.rx.append(("ipip", socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_IPIP)))
        if mode == "gre":
            self.rx.append(("gre", socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_GRE)))

    def send(self, packet):
        dst = ipv4_dst(packet)
        node = lookup(self.routes, dst) if dst else None
        if node is None:
            return
        a = self.args
        if a.mode == "fou":
            data = udp_header(flow_src_port(packet), a.port, packet) + packet
        elif a.mode == "gue":
            payload = GUE_V0.pack(0x00, IPPROTO_IPIP, 0) + packet
            data = udp_header(flow_src_port(packet), a.port, payload) + payload
        elif a.mode == "gre":
            flags = GRE_K if a.key is not None else 0
            head = b""
            if a.key is not None:
                head += struct.pack("!I", a.key)
            if a.seq:
                flags |= GRE_S
                head += struct.pack("!I", self.seq)
                self.seq = (self.seq + 1) & 0xFFFFFFFF
            data = struct.pack("!HH", flags, ETH_P_IP) + head + packet
        else:
            data = packet
        # nopmtudisc still copies the inner DF bit to the outer header (ip_tunnel_xmit()).
        self.tx.send(data, node, packet)

    def receive(self, kind, sock):
        try:
            data = sock.recv(65535)
        except OSError:
            return
        if kind == "udp":
            if self.args.mode == "gue":
                if len(data) < 4 or data[0] >> 6 != 0 or data[0] & 0x20 or data[1] != IPPROTO_IPIP:
                    return  # not variant 0 carrying IPv4 (control messages are not used here)
                data = data[4 + (data[0] & 0x1F) * 4 :]
        elif kind == "ipip":
            data = data[(data[0] & 0x0F) * 4 :]
        else:
            data = self.gre_payload(data[(data[0] & 0x0F) * 4 :])
            if data is None:
                return
        if len(data) >= 20 and data[0] >> 4 == 4:
            os.write(self.tun, data)

    def gre_payload(self, gre):
        if len(gre) < 4:
            return None
        flags, proto = struct.unpack("!HH", gre[:4])
        if proto != ETH_P_IP or flags & 0x0007:
            return None
        at = 4
        if flags & GRE_C:
            at += 4
        key = None
        if flags & GRE_K:
            key = struct.unpack("!I", gre[at : at + 4])[0]
            at += 4
        if flags & GRE_S:
            at += 4
        # The device's ikey: a packet with another key (or none) belongs to no tunnel.
        if key != self.args.key:
            return None
        return gre[at:]

    def run(self):
        ready()
        socks = [s for _, s in self.rx]
        while True:
            readable, _, _ = select.select([self.tun, *socks], [], [])
            if self.tun in readable:
                self.send(os.read(self.tun, 65535))
            for kind, s in self.rx:
                if s in readable:
                    self.receive(kind, s)


def cmd_tunnel(args):
    stop_on_signal()
    Tunnel(args).run()


# ---------------------------------------------------------------------------------------------
# gpe: VXLAN-GPE + NSH

VXLAN_GPE_PORT = 4790
GPE_FLAGS_I_P = 0x0C  # I (VNI valid) and P (Next Protocol present), version 0
GPE_NEXT_NSH = 0x04
NSH_NEXT_IPV4 = 0x01
NSH_MD_TYPE_1 = 0x1
NSH_MD1_WORDS = 6
NSH_TTL = 63


def nsh_header(spi, si, context):
    # RFC 8300 §2.2: Ver(2)=0 O(1) U(1) TTL(6) Length(6) U(4) MD Type(4) Next Protocol(8).
    w0 = (NSH_TTL << 6) | NSH_MD1_WORDS
    return struct.pack("!HBB", w0, NSH_MD_TYPE_1, NSH_NEXT_IPV4) + struct.pack("!I", (spi << 8) | si) + context


def cmd_gpe(args):
    stop_on_signal()
    routes = parse_pairs(args.route, ipaddress.ip_address)
    spis = parse_pairs(args.spi_from, lambda v: int(v, 0))
    tun = open_tun(args.dev)
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("0.0.0.0", VXLAN_GPE_PORT))
    tx = RawSender(socket.IPPROTO_UDP, 64, df=False)
    # MD type 1's four fixed context words: a tenant id and the classifier's node, as SFC
    # deployments put there (RFC 8300 §2.4 leaves their meaning to the domain).
    context = struct.pack("!IIII", args.tenant, int(ipaddress.ip_address(args.local)), 0, 0)
    ready()
    while True:
        readable, _, _ = select.select([tun, rx], [], [])
        if tun in readable:
            packet = os.read(tun, 65535)
            dst = ipv4_dst(packet)
            node = lookup(routes, dst) if dst else None
            if node is None:
                continue
            spi = lookup(spis, ipaddress.ip_address(packet[12:16])) or args.spi
            payload = struct.pack("!BHB", GPE_FLAGS_I_P, 0, GPE_NEXT_NSH) + struct.pack("!I", args.vni << 8) + nsh_header(spi, 255, context) + packet
            tx.send(udp_header(flow_src_port(packet), VXLAN_GPE_PORT, payload) + payload, node)
        if rx in readable:
            try:
                data = rx.recv(65535)
            except OSError:
                continue
            if len(data) < 16 or data[0] & GPE_FLAGS_I_P != GPE_FLAGS_I_P or data[3] != GPE_NEXT_NSH:
                continue
            nsh = data[8:]
            length = (struct.unpack("!H", nsh[:2])[0] & 0x3F) * 4
            si = nsh[7]
            if nsh[3] != NSH_NEXT_IPV4 or si == 0 or len(nsh) < length + 20:
                continue
            # The last service function on the path: decapsulate and deliver (§2.3, SI > 0).
            os.write(tun, nsh[length:])


# ---------------------------------------------------------------------------------------------
# wg: a WireGuard look-alike

WG_PORT = 51820
WG_INITIATION, WG_RESPONSE, WG_DATA = 1, 2, 4
WG_INITIATION_LEN, WG_RESPONSE_LEN = 148, 92
WG_TAG = 16


def keystream(key, counter, n):
    out = b""
    block = 0
    while len(out) < n:
        out += hashlib.blake2s(struct.pack("<QI", counter, block), key=key).digest()
        block += 1
    return out[:n]


def scramble(key, counter, data):
    return bytes(a ^ b for a, b in zip(data, keystream(key, counter, len(data))))


def tag(key, counter, data):
    return hashlib.blake2s(struct.pack("<Q", counter) + data, key=key, digest_size=WG_TAG).digest()


class WireGuard:
    """One peer per route: a session with sender and receiver indexes and a send counter."""

    def __init__(self, args):
        self.args = args
        self.routes = parse_pairs(args.route, str)
        self.tun = open_tun(args.dev)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("0.0.0.0", args.port))
        self.key = hashlib.blake2s(args.psk.encode()).digest()
        self.local_index = int.from_bytes(os.urandom(4), "little")
        self.peers = {}  # node → {"remote": index or None, "counter": n, "queue": [...]}

    def peer(self, node):
        return self.peers.setdefault(node, {"remote": None, "counter": 0, "queue": [], "sent_init": 0.0})

    def initiation(self):
        # type, reserved, sender index, ephemeral (32), encrypted static (32+16), encrypted
        # timestamp (12+16), mac1 (16), mac2 (16, zero without a cookie).
        body = os.urandom(32 + 48 + 28 + 16)
        return struct.pack("<B3xI", WG_INITIATION, self.local_index) + body + b"\0" * 16

    def response(self, receiver):
        body = os.urandom(32 + 16 + 16)
        return struct.pack("<B3xII", WG_RESPONSE, self.local_index, receiver) + body + b"\0" * 16

    def data(self, p, packet):
        # Padded to a multiple of 16 (the WireGuard paper §5.4.6), then "encrypted" and tagged.
        padded = packet + b"\0" * (-len(packet) % 16)
        n = p["counter"]
        p["counter"] += 1
        body = scramble(self.key, n, padded)
        return struct.pack("<B3xIQ", WG_DATA, p["remote"], n) + body + tag(self.key, n, body)

    def send(self, packet):
        dst = ipv4_dst(packet)
        node = lookup(self.routes, dst) if dst else None
        if node is None:
            return
        p = self.peer(node)
        if p["remote"] is None:
            p["queue"].append(packet)
            if time.monotonic() - p["sent_init"] > 5:
                p["sent_init"] = time.monotonic()
                send_quietly(self.sock, self.initiation(), (node, self.args.port))
            return
        send_quietly(self.sock, self.data(p, packet), (node, self.args.port))

    def receive(self):
        try:
            msg, (node, port) = self.sock.recvfrom(65535)
        except OSError:
            return
        if len(msg) < 4:
            return
        kind = msg[0]
        p = self.peer(node)
        if kind == WG_INITIATION and len(msg) == WG_INITIATION_LEN:
            p["remote"] = struct.unpack("<I", msg[4:8])[0]
            p["counter"] = 0
            send_quietly(self.sock, self.response(p["remote"]), (node, port))
        elif kind == WG_RESPONSE and len(msg) == WG_RESPONSE_LEN:
            p["remote"] = struct.unpack("<I", msg[4:8])[0]
            p["counter"] = 0
            for packet in p["queue"]:
                send_quietly(self.sock, self.data(p, packet), (node, port))
            p["queue"] = []
        elif kind == WG_DATA and len(msg) >= 32:
            receiver, n = struct.unpack("<IQ", msg[4:16])
            body, mac = msg[16:-WG_TAG], msg[-WG_TAG:]
            if receiver != self.local_index or mac != tag(self.key, n, body) or not body:
                return  # a keepalive (no body) or not ours
            packet = scramble(self.key, n, body)
            if packet[0] >> 4 == 4:
                os.write(self.tun, packet[: struct.unpack("!H", packet[2:4])[0]])

    def run(self):
        ready()
        while True:
            readable, _, _ = select.select([self.tun, self.sock], [], [])
            if self.tun in readable:
                self.send(os.read(self.tun, 65535))
            if self.sock in readable:
                self.receive()


def cmd_wg(args):
    stop_on_signal()
    WireGuard(args).run()


# ---------------------------------------------------------------------------------------------
# erspan mirror and collector

GRE_PROTO_ERSPAN_II = 0x88BE
GRE_PROTO_ERSPAN_III = 0x22EB
ERSPAN_V1, ERSPAN_V2 = 1, 2


def cos_of(frame):
    # tos_to_cos(): the IP precedence of the mirrored packet (IPv4 behind Ethernet), else 0.
    if len(frame) >= 16 and frame[12:14] == b"\x08\x00":
        return frame[15] >> 5
    return 0


def erspan_header(version, frame, session, index, hwid, egress):
    cos = cos_of(frame)
    # Word 0: Ver(4) VLAN(12); word 1: COS(3) En/BSO(2) T(1) Session ID(10). Untagged: VLAN 0, En 0.
    w0 = version << 12
    w1 = (cos << 13) | (session & 0x3FF)
    if version == ERSPAN_V1:
        return struct.pack("!HHI", w0, w1, index & 0xFFFFF)
    # Type III: Timestamp in units of 100 µs (Gra 0, as Linux's erspan_get_timestamp()), SGT 0,
    # P 1 (an Ethernet frame), FT 0, Hw ID, D, Gra 0, O 0.
    stamp = (time.time_ns() // 100_000) & 0xFFFFFFFF
    w3 = 0x8000 | ((hwid & 0x3F) << 4) | (0x8 if egress else 0)
    return struct.pack("!HHIHH", w0, w1, stamp, 0, w3)


def cmd_erspan(args):
    stop_on_signal()
    cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    cap.bind((args.dev, 0))
    # ttl inherit and DF, the defaults of `ip link add NAME type erspan … erspan_ver N`.
    tx = RawSender(IPPROTO_GRE, None, df=True)
    proto = GRE_PROTO_ERSPAN_II if args.version == ERSPAN_V1 else GRE_PROTO_ERSPAN_III
    seq = 0
    ready()
    while True:
        frame, addr = cap.recvfrom(65535)
        egress = addr[2] == PACKET_OUTGOING
        inner = frame[14:] if len(frame) >= 34 and frame[12:14] == b"\x08\x00" else None
        # GRE with S only (erspan_xmit(): TUNNEL_SEQ, no key on the wire).
        gre = struct.pack("!HHI", GRE_S, proto, seq)
        seq = (seq + 1) & 0xFFFFFFFF
        tx.send(gre + erspan_header(args.version, frame, args.session, args.index, args.hwid, egress) + frame, args.collector, inner)


def cmd_collector(args):
    stop_on_signal()
    rx = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_GRE)
    tap = open_tun(args.dev, tap=True)
    ready()
    while True:
        data = rx.recv(65535)
        gre = data[(data[0] & 0x0F) * 4 :]
        if len(gre) < 8:
            continue
        flags, proto = struct.unpack("!HH", gre[:4])
        at = 4 + (4 if flags & GRE_C else 0) + (4 if flags & GRE_K else 0) + (4 if flags & GRE_S else 0)
        if proto == GRE_PROTO_ERSPAN_II:
            at += 8 if flags & GRE_S else 0
        elif proto == GRE_PROTO_ERSPAN_III:
            o = gre[at + 11] & 0x1 if len(gre) > at + 11 else 0
            at += 12 + (8 if o else 0)
        else:
            continue
        if len(gre) >= at + 14:
            try:
                os.write(tap, gre[at:])
            except OSError:
                pass  # the TAP is down: the copy is lost, as on a collector whose erspan device is down


# ---------------------------------------------------------------------------------------------
# bigtcp: rtnetlink IFLA_GSO_IPV4_MAX_SIZE and friends

RTM_NEWLINK = 16
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLMSG_ERROR = 2
IFLA_GSO_MAX_SIZE = 41
IFLA_GRO_MAX_SIZE = 58
IFLA_GSO_IPV4_MAX_SIZE = 63
IFLA_GRO_IPV4_MAX_SIZE = 64


def nl_attr(kind, value):
    n = 4 + len(value)
    return struct.pack("=HH", n, kind) + value + b"\0" * (-n % 4)


def cmd_bigtcp(args):
    index = socket.if_nametoindex(args.dev)
    attrs = []
    if args.ipv4 is not None:
        attrs += [(IFLA_GSO_IPV4_MAX_SIZE, args.ipv4), (IFLA_GRO_IPV4_MAX_SIZE, args.ipv4)]
    if args.ipv6 is not None:
        attrs += [(IFLA_GSO_MAX_SIZE, args.ipv6), (IFLA_GRO_MAX_SIZE, args.ipv6)]
    body = struct.pack("=BxHiII", socket.AF_UNSPEC, 0, index, 0, 0) + b"".join(nl_attr(k, struct.pack("=I", v)) for k, v in attrs)
    msg = struct.pack("=IHHII", 16 + len(body), RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, 1, 0) + body
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
    s.bind((0, 0))
    s.send(msg)
    reply = s.recv(4096)
    kind = struct.unpack("=H", reply[4:6])[0]
    err = struct.unpack("=i", reply[16:20])[0] if kind == NLMSG_ERROR else 0
    print(json.dumps({"dev": args.dev, "ipv4": args.ipv4, "ipv6": args.ipv6, "outcome": "response" if err == 0 else "error", **({"error": os.strerror(-err)} if err else {})}), flush=True)
    if err:
        sys.exit(1)


# ---------------------------------------------------------------------------------------------
# dns: a DNS-like server on IPv6 as well as IPv4

def cmd_dns(args):
    stop_on_signal()
    answers = [ipaddress.ip_address(a) for a in args.answer]
    socks = {}
    families = [(socket.AF_INET6, "::", 6)] + ([(socket.AF_INET, "0.0.0.0", 4)] if args.ipv4 else [])
    for fam, any_addr, version in families:
        s = socket.socket(fam, socket.SOCK_DGRAM)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((any_addr, args.port))
        # AAAA over IPv6, A over IPv4: the answer of the query's own family when there is one.
        socks[s] = next((a for a in answers if a.version == version), answers[0])
    ready()
    while True:
        readable, _, _ = select.select(list(socks), [], [])
        for s in readable:
            query, peer = s.recvfrom(4096)
            if len(query) < 12:
                continue
            answer = socks[s]
            rtype = 28 if answer.version == 6 else 1
            rr = b"\xc0\x0c" + struct.pack("!HHIH", rtype, 1, 30, len(answer.packed)) + answer.packed
            s.sendto(query[:2] + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0) + query[12:] + rr, peer)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    t = sub.add_parser("tunnel")
    t.add_argument("--dev", required=True)
    t.add_argument("--mode", choices=["ipip", "fou", "gue", "gre"], required=True)
    t.add_argument("--port", type=int, default=5555, help="FOU/GUE: encap-dport, and the local `ip fou add port`")
    t.add_argument("--route", action="append", default=[], help="POD_CIDR=NODE_IP")
    t.add_argument("--ttl", default="inherit", help="a number, or inherit")
    t.add_argument("--pmtudisc", action="store_true", help="DF on every outer header")
    t.add_argument("--key", type=lambda x: int(x, 0), help="GRE key (ikey and okey)")
    t.add_argument("--seq", action="store_true", help="GRE sequence numbers (oseq)")
    t.set_defaults(func=cmd_tunnel)

    g = sub.add_parser("gpe")
    g.add_argument("--dev", required=True)
    g.add_argument("--local", required=True, help="this node's underlay address")
    g.add_argument("--route", action="append", default=[], help="POD_CIDR=NODE_IP")
    g.add_argument("--vni", type=lambda x: int(x, 0), default=0)
    g.add_argument("--spi", type=lambda x: int(x, 0), default=1)
    g.add_argument("--spi-from", action="append", default=[], help="SOURCE_CIDR=SPI")
    g.add_argument("--tenant", type=lambda x: int(x, 0), default=0)
    g.set_defaults(func=cmd_gpe)

    w = sub.add_parser("wg")
    w.add_argument("--dev", required=True)
    w.add_argument("--port", type=int, default=WG_PORT)
    w.add_argument("--route", action="append", default=[], help="POD_CIDR=NODE_IP (a peer's allowed IPs and endpoint)")
    w.add_argument("--psk", default="hopscope-lab")
    w.set_defaults(func=cmd_wg)

    e = sub.add_parser("erspan")
    e.add_argument("--dev", required=True, help="the mirrored device")
    e.add_argument("--collector", required=True)
    e.add_argument("--version", type=int, choices=[ERSPAN_V1, ERSPAN_V2], default=ERSPAN_V1, help="1: type II, 2: type III")
    e.add_argument("--session", type=int, default=1)
    e.add_argument("--index", type=int, default=0)
    e.add_argument("--hwid", type=int, default=0)
    e.set_defaults(func=cmd_erspan)

    c = sub.add_parser("collector")
    c.add_argument("--dev", required=True, help="the TAP device the mirrored frames are written to")
    c.set_defaults(func=cmd_collector)

    b = sub.add_parser("bigtcp")
    b.add_argument("--dev", required=True)
    b.add_argument("--ipv4", type=int, help="gso_ipv4_max_size and gro_ipv4_max_size")
    b.add_argument("--ipv6", type=int, help="gso_max_size and gro_max_size")
    b.set_defaults(func=cmd_bigtcp)

    d = sub.add_parser("dns")
    d.add_argument("--port", type=int, default=53)
    d.add_argument("--answer", action="append", required=True, help="an address to answer with (one per family)")
    d.add_argument("--ipv4", action="store_true", help="listen on IPv4 as well (labnet.py serve usually has it)")
    d.set_defaults(func=cmd_dns)

    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
