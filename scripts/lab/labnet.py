#!/usr/bin/env python3
"""User-space pieces of the Hopscope lab, run inside the lab's network namespaces.

  flanneld  flannel's UDP backend: a TUN device (flannel0, raw IP) whose packets travel as the
            payload of UDP 8285 datagrams between nodes, as flanneld carries them.
  ipip      a stand-in for Calico's tunl0 on kernels without the ipip module: a TUN device whose
            packets are sent in IPv4 protocol 4 (IP-in-IP) through a raw socket.
  geneve    a stand-in for a Geneve device (Cilium's cilium_geneve, Antrea's genev_sys_6081) on
            kernels without the geneve module: TAP devices whose Ethernet frames travel in UDP 6081
            behind a Geneve header (RFC 8926), with a VNI per source (Cilium's security identity).
  serve     a pod's application: an HTTP-like TCP server and a DNS-like UDP server.
  tcp, udp  a pod's client: one TCP request, one DNS query (IPv4 or IPv6); prints a JSON result line.
  stream-serve  a server that speaks first: after a delay it streams chunks on every connection.
  session   a long-lived TCP client: connects, says "ready" (so captures can start after the
            handshake), then reads a stream or idles and sends a request; prints a JSON line.
  lldp, dhcp-client, dhcp-server, ra, ns
            background chatter crafted on raw sockets: LLDP frames, a DHCP exchange, IPv6 router
            advertisements and neighbour solicitations.

Every subcommand prints one line "ready" (servers, forwarders) or one JSON line (clients) on
stdout, so the orchestrator can wait for it. Standard library only.
"""
import argparse
import fcntl
import ipaddress
import json
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
import zlib

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
IPPROTO_IPIP = 4
IP_MTU_DISCOVER = 10
IP_PMTUDISC_DONT = 0
IP_PMTUDISC_DO = 2


def ready():
    print("ready", flush=True)


def open_tun(name, tap=False):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), (IFF_TAP if tap else IFF_TUN) | IFF_NO_PI))
    return fd


def parse_routes(specs):
    """CIDR=NODE_IP pairs: which node owns which pod subnet (flannel's subnet leases in etcd)."""
    routes = []
    for spec in specs:
        cidr, node = spec.split("=")
        routes.append((ipaddress.ip_network(cidr), node))
    return routes


def lookup(routes, packet):
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return None
    dst = ipaddress.ip_address(packet[16:20])
    for net, node in routes:
        if dst in net:
            return node
    return None


def stop_on_signal():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, lambda *_: sys.exit(0))


def cmd_flanneld(args):
    stop_on_signal()
    routes = parse_routes(args.route)
    tun = open_tun(args.dev)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", args.port))
    ready()
    while True:
        readable, _, _ = select.select([tun, sock], [], [])
        if tun in readable:
            packet = os.read(tun, 65535)
            node = lookup(routes, packet)
            if node:
                try:
                    sock.sendto(packet, (node, args.port))
                except OSError:
                    pass  # EPERM from an OUTPUT rule, ECONNREFUSED after a port unreachable
        if sock in readable:
            try:
                packet, _ = sock.recvfrom(65535)
            except OSError:
                continue  # an ICMP error queued on the socket
            os.write(tun, packet)


def cmd_ipip(args):
    stop_on_signal()
    routes = parse_routes(args.route)
    tun = open_tun(args.dev)
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, IPPROTO_IPIP)
    # The kernel's fallback tunl0 is "ttl inherit nopmtudisc": outer TTL from the inner packet,
    # DF clear.
    raw.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)
    ready()
    while True:
        readable, _, _ = select.select([tun, raw], [], [])
        if tun in readable:
            packet = os.read(tun, 65535)
            node = lookup(routes, packet)
            if node:
                raw.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, max(packet[8], 1))
                try:
                    raw.sendto(packet, (node, 0))
                except OSError:
                    pass
        if raw in readable:
            outer = raw.recv(65535)
            ihl = (outer[0] & 0x0F) * 4
            inner = outer[ihl:]
            if len(inner) >= 20 and inner[0] >> 4 == 4:
                os.write(tun, inner)


# Geneve (RFC 8926 §3.4): Ver(2) Opt Len(6) | O C Rsvd(6) | Protocol Type(16) | VNI(24) Reserved(8).
GENEVE_PORT = 6081
ETH_P_TEB = 0x6558
ETHERTYPE_IPV4 = 0x0800


def parse_vnis(specs):
    """CIDR=VNI pairs: the VNI a packet from that source carries (Cilium's security identity)."""
    out = []
    for spec in specs:
        cidr, vni = spec.split("=")
        out.append((ipaddress.ip_network(cidr), int(vni, 0)))
    return out


def flow_src_port(frame):
    """A source port from a hash of the inner flow, for ECMP entropy, in the kernel's ephemeral range
    (udp_flow_src_port(), RFC 8926 §3.3)."""
    return 32768 + zlib.crc32(bytes(frame[26:38])) % (61000 - 32768)


def cmd_geneve(args):
    stop_on_signal()
    routes = parse_routes(args.route)
    vnis = parse_vnis(args.vni_from)
    src_mac = mac_bytes(args.src_mac) if args.src_mac else None
    taps = [open_tun(d, tap=True) for d in [args.dev, *args.also]]
    tunnel = taps[0]
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("0.0.0.0", args.port))
    # Sent from a raw socket so the source port can vary per inner flow, as the kernel's and OVS's
    # Geneve ports do; the kernel adds the outer IPv4 header. UDP checksum zero (RFC 8926 §3.3).
    tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    tx.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO if args.df else IP_PMTUDISC_DONT)
    ready()
    while True:
        readable, _, _ = select.select([*taps, rx], [], [])
        for fd in taps:
            if fd not in readable:
                continue
            frame = bytearray(os.read(fd, 65535))
            if len(frame) < 34 or struct.unpack("!H", frame[12:14])[0] != ETHERTYPE_IPV4:
                continue  # ARP and the rest: the forwarding entries are static
            node = lookup(routes, bytes(frame[14:]))
            if node is None:
                continue
            src = ipaddress.ip_address(bytes(frame[26:30]))
            vni = next((v for net, v in vnis if src in net), args.vni)
            if src_mac:
                frame[6:12] = src_mac
            header = struct.pack("!BBHI", 0, 0, ETH_P_TEB, vni << 8)
            payload = header + bytes(frame)
            udp = struct.pack("!HHHH", flow_src_port(frame), args.port, 8 + len(payload), 0)
            try:
                tx.sendto(udp + payload, (node, 0))
            except OSError:
                pass
        if rx in readable:
            try:
                data, _ = rx.recvfrom(65535)
            except OSError:
                continue
            if len(data) < 8 or data[0] >> 6 != 0:
                continue
            opt_len = (data[0] & 0x3F) * 4
            if struct.unpack("!H", data[2:4])[0] != ETH_P_TEB or len(data) < 8 + opt_len + 14:
                continue
            os.write(tunnel, data[8 + opt_len :])


def dns_name(name):
    out = b""
    for label in name.strip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def cmd_serve(args):
    stop_on_signal()
    body = (b"hopscope lab response " * (args.response_bytes // 22 + 1))[: args.response_bytes]

    def listener(kind, port, v6):
        srv = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, kind)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if v6:
            srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        srv.bind(("::" if v6 else "0.0.0.0", port))
        return srv

    def tcp_server(port, v6=False, reset=False):
        srv = listener(socket.SOCK_STREAM, port, v6)
        srv.listen(16)
        while True:
            conn, _ = srv.accept()
            conn.settimeout(5)
            if reset:
                # Linger 0: close() sends a RST instead of a FIN, after the response (as
                # servers and proxies that abort idle or finished connections do).
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            try:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                head = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body)
                conn.sendall(head + body)
                if reset:
                    time.sleep(0.2)  # let the client read the response before the RST
            except OSError:
                pass
            finally:
                conn.close()

    IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # <linux/in.h>; Python names it from 3.12

    def udp_server(port, v6=False):
        srv = listener(socket.SOCK_DGRAM, port, v6)
        if not v6:
            srv.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        while True:
            query, anc, _flags, peer = srv.recvmsg(4096, socket.CMSG_SPACE(12))
            if len(query) < 12:
                continue
            # Echo the question and answer it with an A (or AAAA) record pointing at this pod.
            question = query[12:]
            if ":" in args.answer:
                answer = b"\xc0\x0c" + struct.pack("!HHIH", 28, 1, 30, 16) + socket.inet_pton(socket.AF_INET6, args.answer)
            else:
                answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 30, 4) + socket.inet_aton(args.answer)
            header = query[:2] + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0)
            # Reply from the address the query was sent to, as a DNS server does (node-local DNS
            # on 169.254.20.10 answers from 169.254.20.10, not from the route's preferred source).
            reply_from = [data for level, kind, data in anc if level == socket.IPPROTO_IP and kind == IP_PKTINFO]
            if reply_from:
                # ipi_addr, the header's destination; ipi_spec_dst for a broadcast or multicast.
                local = reply_from[0][8:12] if reply_from[0][8] < 224 else reply_from[0][4:8]
                srv.sendmsg([header + question + answer], [(socket.IPPROTO_IP, IP_PKTINFO, struct.pack("!I4s4s", 0, local, b"\0\0\0\0"))], 0, peer)
            else:
                srv.sendto(header + question + answer, peer)

    threads = []
    for port in args.tcp:
        threads.append(threading.Thread(target=tcp_server, args=(port,), daemon=True))
    for port in args.reset_tcp:
        threads.append(threading.Thread(target=tcp_server, args=(port, False, True), daemon=True))
    for port in args.udp:
        threads.append(threading.Thread(target=udp_server, args=(port,), daemon=True))
    if args.ipv6:
        for port in args.tcp:
            threads.append(threading.Thread(target=tcp_server, args=(port, True), daemon=True))
        for port in args.udp:
            threads.append(threading.Thread(target=udp_server, args=(port, True), daemon=True))
    for t in threads:
        t.start()
    time.sleep(0.2)
    ready()
    while True:
        time.sleep(3600)


def family(address):
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def any_address(address):
    return "::" if ":" in address else "0.0.0.0"


def cmd_tcp(args):
    sock = socket.socket(family(args.dst), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((any_address(args.dst), args.sport))
    sock.settimeout(args.timeout)
    result = {"protocol": "tcp", "dst": args.dst, "port": args.port, "sport": args.sport}
    start = time.monotonic()
    got = b""
    try:
        sock.connect((args.dst, args.port))
        result["connected"] = True
        sock.sendall(b"GET / HTTP/1.0\r\nHost: %s\r\nUser-Agent: hopscope-lab\r\n\r\n" % args.host.encode())
        deadline = start + args.timeout + args.read_timeout
        while time.monotonic() < deadline:
            sock.settimeout(max(0.05, deadline - time.monotonic()))
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
        result["outcome"] = "response" if got.startswith(b"HTTP/1.0 200") else "no-response"
        result["bytes"] = len(got)
    except ConnectionRefusedError:
        result["outcome"] = "refused"
    except ConnectionResetError:
        # A RST after the whole response is the server closing, not a refusal.
        result["outcome"] = "response" if got.startswith(b"HTTP/1.0 200") else "reset"
        result["bytes"] = len(got)
        result["closedBy"] = "reset"
    except socket.timeout:
        result["outcome"] = "timeout" if "connected" not in result else "response-timeout"
    except OSError as e:
        result["outcome"] = "error"
        result["error"] = e.strerror or str(e)
    finally:
        sock.close()
    result["seconds"] = round(time.monotonic() - start, 1)
    print(json.dumps(result), flush=True)


def cmd_udp(args):
    sock = socket.socket(family(args.dst), socket.SOCK_DGRAM)
    sock.bind((any_address(args.dst), args.sport))
    sock.settimeout(args.timeout)
    query = struct.pack("!HHHHHH", args.txid, 0x0100, 1, 0, 0, 0) + dns_name(args.name) + struct.pack("!HH", 1, 1)
    result = {"protocol": "udp", "dst": args.dst, "port": args.port, "sport": args.sport, "txid": args.txid}
    start = time.monotonic()
    try:
        # Connected, as a stub resolver is: only the queried address's replies count.
        sock.connect((args.dst, args.port))
        sock.send(query)
        data = sock.recv(4096)
        result["outcome"] = "response" if data[:2] == query[:2] else "other"
        result["bytes"] = len(data)
    except socket.timeout:
        result["outcome"] = "timeout"
    except ConnectionRefusedError:
        result["outcome"] = "refused"
    except OSError as e:
        result["outcome"] = "error"
        result["error"] = e.strerror or str(e)
    result["seconds"] = round(time.monotonic() - start, 1)
    print(json.dumps(result), flush=True)


def cmd_stream_serve(args):
    stop_on_signal()
    chunk = (b"hopscope stream " * (args.bytes // 16 + 1))[: args.bytes]

    def handle(conn):
        try:
            time.sleep(args.delay)
            for _ in range(args.chunks):
                conn.sendall(chunk)
                time.sleep(args.interval)
        except OSError:
            pass
        finally:
            conn.close()

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", args.port))
    srv.listen(16)
    ready()
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def cmd_session(args):
    stop_on_signal()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", args.sport))
    sock.settimeout(args.timeout)
    if args.keepalive:
        # TCP keepalives every N seconds of silence: probes (seq - 1, no data) and their ACKs.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, max(1, int(args.keepalive)))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, max(1, int(args.keepalive)))
    result = {"protocol": "tcp", "dst": args.dst, "port": args.port, "sport": args.sport}
    start = time.monotonic()
    got = b""
    try:
        sock.connect((args.dst, args.port))
        print("ready", flush=True)
        if args.request:
            time.sleep(args.idle)
            sock.sendall(b"GET /resume HTTP/1.0\r\nHost: backend\r\nUser-Agent: hopscope-lab\r\n\r\n")
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            got += chunk
        ok = got.startswith(b"HTTP/1.0 200") if args.request else len(got) > 0
        result["outcome"] = "response" if ok else "no-response"
        result["bytes"] = len(got)
    except socket.timeout:
        result["outcome"] = "response-timeout"
    except ConnectionResetError:
        # A RST after the whole response is the server closing, not a refusal.
        result["outcome"] = "response" if got.startswith(b"HTTP/1.0 200") else "reset"
        result["bytes"] = len(got)
        result["closedBy"] = "reset"
    except OSError as e:
        result["outcome"] = "error"
        result["error"] = e.strerror or str(e)
    finally:
        sock.close()
    result["seconds"] = round(time.monotonic() - start, 1)
    print(json.dumps(result), flush=True)


ETH_P_ALL = 0x0003


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def if_mac(dev):
    with open("/sys/class/net/%s/address" % dev) as f:
        return mac_bytes(f.read().strip())


def raw_socket(dev):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((dev, 0))
    return s


def tlv(t, value):
    return struct.pack("!H", (t << 9) | len(value)) + value


def cmd_lldp(args):
    # IEEE 802.1AB: chassis id (MAC), port id (interface name), TTL, system name, end.
    mac = if_mac(args.dev)
    body = (
        tlv(1, b"\x04" + mac)
        + tlv(2, b"\x05" + args.port_id.encode())
        + tlv(3, struct.pack("!H", 120))
        + tlv(5, args.system_name.encode())
        + tlv(0, b"")
    )
    frame = mac_bytes("01:80:c2:00:00:0e") + mac + struct.pack("!H", 0x88CC) + body
    s = raw_socket(args.dev)
    for i in range(args.count):
        s.send(frame)
        if i + 1 < args.count:
            time.sleep(args.interval)
    print(json.dumps({"sent": args.count}), flush=True)


def ip_checksum(b):
    if len(b) % 2:
        b += b"\x00"
    total = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return (~total) & 0xFFFF


def udp_broadcast_frame(src_mac, src_ip, sport, dport, payload, dst_ip="255.255.255.255"):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0x10, 20 + len(udp), 0, 0, 64, 17, 0, socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
    ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
    return b"\xff" * 6 + src_mac + b"\x08\x00" + ip + udp


DHCP_MAGIC = b"\x63\x82\x53\x63"


def bootp(op, xid, chaddr, yiaddr="0.0.0.0", siaddr="0.0.0.0", options=b""):
    return (
        struct.pack("!BBBBIHH", op, 1, 6, 0, xid, 0, 0x8000)
        + socket.inet_aton("0.0.0.0")
        + socket.inet_aton(yiaddr)
        + socket.inet_aton(siaddr)
        + socket.inet_aton("0.0.0.0")
        + chaddr
        + b"\x00" * 192
        + DHCP_MAGIC
        + options
        + b"\xff"
    )


def dhcp_opt(code, value):
    return bytes([code, len(value)]) + value


def dhcp_message(frame):
    # Ethernet + IPv4 (no options assumed from our peers) + UDP: return (dport, bootp payload).
    if len(frame) < 42 or frame[12:14] != b"\x08\x00" or frame[23] != 17:
        return None, None
    ihl = (frame[14] & 0x0F) * 4
    udp = 14 + ihl
    dport = struct.unpack("!H", frame[udp + 2 : udp + 4])[0]
    return dport, frame[udp + 8 :]


def dhcp_type(payload):
    i = 240
    while i + 1 < len(payload) and payload[i] != 255:
        code, ln = payload[i], payload[i + 1]
        if code == 53:
            return payload[i + 2]
        i += 2 + ln
    return None


def cmd_dhcp_client(args):
    # DISCOVER → OFFER → REQUEST → ACK, all broadcast, as a client without an address sends them.
    s = raw_socket(args.dev)
    s.settimeout(args.timeout)
    mac = if_mac(args.dev)
    chaddr = mac + b"\x00" * 10
    hostname = dhcp_opt(12, args.hostname.encode())
    discover = bootp(1, args.xid, chaddr, options=dhcp_opt(53, b"\x01") + hostname + dhcp_opt(55, b"\x01\x03\x06\x0f"))
    s.send(udp_broadcast_frame(mac, "0.0.0.0", 68, 67, discover))
    result = {"outcome": "timeout"}
    deadline = time.monotonic() + args.timeout
    state = "offer"
    while time.monotonic() < deadline:
        try:
            frame = s.recv(2048)
        except socket.timeout:
            break
        dport, payload = dhcp_message(frame)
        if dport != 68 or len(payload) < 240 or struct.unpack("!I", payload[4:8])[0] != args.xid or payload[0] != 2:
            continue
        t = dhcp_type(payload)
        if state == "offer" and t == 2:
            offered = socket.inet_ntoa(payload[16:20])
            server = socket.inet_ntoa(payload[20:24])
            request = bootp(
                1, args.xid, chaddr,
                options=dhcp_opt(53, b"\x03") + dhcp_opt(50, socket.inet_aton(offered)) + dhcp_opt(54, socket.inet_aton(server)) + hostname,
            )
            s.send(udp_broadcast_frame(mac, "0.0.0.0", 68, 67, request))
            state = "ack"
        elif state == "ack" and t == 5:
            result = {"outcome": "response", "address": socket.inet_ntoa(payload[16:20])}
            break
    print(json.dumps(result), flush=True)


def cmd_dhcp_server(args):
    stop_on_signal()
    s = raw_socket(args.dev)
    mac = if_mac(args.dev)
    ready()
    while True:
        frame = s.recv(2048)
        if frame[6:12] == mac:
            continue
        dport, payload = dhcp_message(frame)
        if dport != 67 or len(payload) < 240 or payload[0] != 1:
            continue
        t = dhcp_type(payload)
        reply = {1: b"\x02", 3: b"\x05"}.get(t)
        if reply is None:
            continue
        xid = struct.unpack("!I", payload[4:8])[0]
        opts = (
            dhcp_opt(53, reply)
            + dhcp_opt(54, socket.inet_aton(args.server_ip))
            + dhcp_opt(51, struct.pack("!I", 3600))
            + dhcp_opt(1, socket.inet_aton("255.255.255.0"))
            + dhcp_opt(3, socket.inet_aton(args.server_ip))
        )
        msg = bootp(2, xid, payload[28:44], yiaddr=args.offer, siaddr=args.server_ip, options=opts)
        s.send(udp_broadcast_frame(mac, args.server_ip, 67, 68, msg))


def icmpv6_socket(dev):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
    return s


def cmd_ra(args):
    # RFC 4861 §4.2, with a prefix information option (autonomous) and the source link-layer address.
    s = icmpv6_socket(args.dev)
    net = ipaddress.ip_network(args.prefix)
    prefix = struct.pack("!BBBBII", 3, 4, net.prefixlen, 0xC0, 86400, 14400) + b"\x00" * 4 + net.network_address.packed
    slla = struct.pack("!BB", 1, 1) + if_mac(args.dev)
    ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0) + slla + prefix
    idx = socket.if_nametoindex(args.dev)
    for i in range(args.count):
        s.sendto(ra, ("ff02::1", 0, 0, idx))
        if i + 1 < args.count:
            time.sleep(args.interval)
    print(json.dumps({"sent": args.count}), flush=True)


def cmd_ns(args):
    # RFC 4861 §4.3: to the target's solicited-node group; the target's kernel answers with an NA.
    s = icmpv6_socket(args.dev)
    target = ipaddress.ip_address(args.target)
    group = "ff02::1:ff" + target.packed[13:14].hex() + ":" + target.packed[14:16].hex()
    ns = struct.pack("!BBHI", 135, 0, 0, 0) + target.packed + struct.pack("!BB", 1, 1) + if_mac(args.dev)
    idx = socket.if_nametoindex(args.dev)
    for i in range(args.count):
        s.sendto(ns, (group, 0, 0, idx))
        if i + 1 < args.count:
            time.sleep(args.interval)
    print(json.dumps({"sent": args.count}), flush=True)


def cmd_join(args):
    # Join an IPv4 multicast group (the kernel sends IGMP membership reports), hold it, leave.
    stop_on_signal()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mreq = struct.pack("=4s4si", socket.inet_aton(args.group), socket.inet_aton("0.0.0.0"), socket.if_nametoindex(args.dev))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    ready()
    time.sleep(args.hold)
    s.close()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    f = sub.add_parser("flanneld")
    f.add_argument("--dev", default="flannel0")
    f.add_argument("--port", type=int, default=8285)
    f.add_argument("--route", action="append", default=[], help="POD_CIDR=NODE_IP")
    f.set_defaults(func=cmd_flanneld)

    i = sub.add_parser("ipip")
    i.add_argument("--dev", default="tunl0")
    i.add_argument("--route", action="append", default=[], help="POD_CIDR=NODE_IP")
    i.set_defaults(func=cmd_ipip)

    g = sub.add_parser("geneve")
    g.add_argument("--dev", required=True, help="the tunnel's TAP device (cilium_geneve, genev_sys_6081)")
    g.add_argument("--also", action="append", default=[], help="another TAP whose frames are tunnelled too (antrea-gw0)")
    g.add_argument("--port", type=int, default=GENEVE_PORT)
    g.add_argument("--route", action="append", default=[], help="POD_CIDR=NODE_IP")
    g.add_argument("--vni", type=lambda x: int(x, 0), default=0, help="VNI when no --vni-from matches")
    g.add_argument("--vni-from", action="append", default=[], help="SOURCE_CIDR=VNI")
    g.add_argument("--src-mac", help="inner source MAC to write (Antrea: the local antrea-gw0's)")
    g.add_argument("--df", action="store_true", help="set DF on the outer header (OVS tunnels do by default)")
    g.set_defaults(func=cmd_geneve)

    s = sub.add_parser("serve")
    s.add_argument("--tcp", type=int, action="append", default=[])
    s.add_argument("--udp", type=int, action="append", default=[])
    s.add_argument("--reset-tcp", type=int, action="append", default=[], help="TCP port whose server answers, then closes with a RST")
    s.add_argument("--answer", default="0.0.0.0")
    s.add_argument("--response-bytes", type=int, default=64)
    s.add_argument("--ipv6", action="store_true", help="listen on IPv6 as well (separate sockets)")
    s.set_defaults(func=cmd_serve)

    t = sub.add_parser("tcp")
    t.add_argument("--dst", required=True)
    t.add_argument("--port", type=int, required=True)
    t.add_argument("--sport", type=int, required=True)
    t.add_argument("--host", default="backend")
    t.add_argument("--timeout", type=float, default=2.5)
    t.add_argument("--read-timeout", type=float, default=2.0)
    t.set_defaults(func=cmd_tcp)

    u = sub.add_parser("udp")
    u.add_argument("--dst", required=True)
    u.add_argument("--port", type=int, default=53)
    u.add_argument("--sport", type=int, required=True)
    u.add_argument("--txid", type=int, default=0x4853)
    u.add_argument("--name", default="backend.default.svc.cluster.local")
    u.add_argument("--timeout", type=float, default=1.5)
    u.set_defaults(func=cmd_udp)

    ss = sub.add_parser("stream-serve")
    ss.add_argument("--port", type=int, required=True)
    ss.add_argument("--delay", type=float, default=2.0)
    ss.add_argument("--chunks", type=int, default=10)
    ss.add_argument("--interval", type=float, default=0.3)
    ss.add_argument("--bytes", type=int, default=200)
    ss.set_defaults(func=cmd_stream_serve)

    se = sub.add_parser("session")
    se.add_argument("--dst", required=True)
    se.add_argument("--port", type=int, required=True)
    se.add_argument("--sport", type=int, required=True)
    se.add_argument("--request", action="store_true", help="idle, then send one request and read the answer")
    se.add_argument("--idle", type=float, default=3.0)
    se.add_argument("--timeout", type=float, default=20.0)
    se.add_argument("--keepalive", type=float, default=0, help="send TCP keepalives after this many idle seconds, and every as many after")
    se.set_defaults(func=cmd_session)

    ll = sub.add_parser("lldp")
    ll.add_argument("--dev", required=True)
    ll.add_argument("--port-id", default="eth0")
    ll.add_argument("--system-name", default="hslab")
    ll.add_argument("--count", type=int, default=2)
    ll.add_argument("--interval", type=float, default=1.0)
    ll.set_defaults(func=cmd_lldp)

    dc = sub.add_parser("dhcp-client")
    dc.add_argument("--dev", required=True)
    dc.add_argument("--xid", type=lambda x: int(x, 0), default=0x48530001)
    dc.add_argument("--hostname", default="hslab")
    dc.add_argument("--timeout", type=float, default=3.0)
    dc.set_defaults(func=cmd_dhcp_client)

    ds = sub.add_parser("dhcp-server")
    ds.add_argument("--dev", required=True)
    ds.add_argument("--server-ip", required=True)
    ds.add_argument("--offer", required=True)
    ds.set_defaults(func=cmd_dhcp_server)

    ra = sub.add_parser("ra")
    ra.add_argument("--dev", required=True)
    ra.add_argument("--prefix", default="2001:db8:0:1::/64")
    ra.add_argument("--count", type=int, default=2)
    ra.add_argument("--interval", type=float, default=1.0)
    ra.set_defaults(func=cmd_ra)

    nsp = sub.add_parser("ns")
    nsp.add_argument("--dev", required=True)
    nsp.add_argument("--target", required=True)
    nsp.add_argument("--count", type=int, default=1)
    nsp.add_argument("--interval", type=float, default=1.0)
    nsp.set_defaults(func=cmd_ns)

    jn = sub.add_parser("join")
    jn.add_argument("--dev", required=True)
    jn.add_argument("--group", required=True)
    jn.add_argument("--hold", type=float, default=3600)
    jn.set_defaults(func=cmd_join)

    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
