#!/usr/bin/env python3
"""User-space pieces of the Hopscope lab, run inside the lab's network namespaces.

  flanneld  flannel's UDP backend: a TUN device (flannel0, raw IP) whose packets travel as the
            payload of UDP 8285 datagrams between nodes, as flanneld carries them.
  ipip      a stand-in for Calico's tunl0 on kernels without the ipip module: a TUN device whose
            packets are sent in IPv4 protocol 4 (IP-in-IP) through a raw socket.
  serve     a pod's application: an HTTP-like TCP server and a DNS-like UDP server.
  tcp, udp  a pod's client: one TCP request, one DNS query; prints a JSON result line.

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

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
IPPROTO_IPIP = 4
IP_MTU_DISCOVER = 10
IP_PMTUDISC_DONT = 0


def ready():
    print("ready", flush=True)


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
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


def dns_name(name):
    out = b""
    for label in name.strip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\x00"


def cmd_serve(args):
    stop_on_signal()
    body = (b"hopscope lab response " * (args.response_bytes // 22 + 1))[: args.response_bytes]

    def tcp_server(port):
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("0.0.0.0", port))
        srv.listen(16)
        while True:
            conn, _ = srv.accept()
            conn.settimeout(5)
            try:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                head = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body)
                conn.sendall(head + body)
            except OSError:
                pass
            finally:
                conn.close()

    def udp_server(port):
        srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        srv.bind(("0.0.0.0", port))
        while True:
            query, peer = srv.recvfrom(4096)
            if len(query) < 12:
                continue
            # Echo the question and answer it with an A record pointing at this pod.
            question = query[12:]
            answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 30, 4) + socket.inet_aton(args.answer)
            header = query[:2] + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0)
            srv.sendto(header + question + answer, peer)

    threads = []
    for port in args.tcp:
        threads.append(threading.Thread(target=tcp_server, args=(port,), daemon=True))
    for port in args.udp:
        threads.append(threading.Thread(target=udp_server, args=(port,), daemon=True))
    for t in threads:
        t.start()
    time.sleep(0.2)
    ready()
    while True:
        time.sleep(3600)


def cmd_tcp(args):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", args.sport))
    sock.settimeout(args.timeout)
    result = {"protocol": "tcp", "dst": args.dst, "port": args.port, "sport": args.sport}
    start = time.monotonic()
    try:
        sock.connect((args.dst, args.port))
        result["connected"] = True
        sock.sendall(b"GET / HTTP/1.0\r\nHost: %s\r\nUser-Agent: hopscope-lab\r\n\r\n" % args.host.encode())
        got = b""
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
        result["outcome"] = "reset"
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
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", args.sport))
    sock.settimeout(args.timeout)
    query = struct.pack("!HHHHHH", args.txid, 0x0100, 1, 0, 0, 0) + dns_name(args.name) + struct.pack("!HH", 1, 1)
    result = {"protocol": "udp", "dst": args.dst, "port": args.port, "sport": args.sport, "txid": args.txid}
    start = time.monotonic()
    try:
        sock.sendto(query, (args.dst, args.port))
        data, _ = sock.recvfrom(4096)
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

    s = sub.add_parser("serve")
    s.add_argument("--tcp", type=int, action="append", default=[])
    s.add_argument("--udp", type=int, action="append", default=[])
    s.add_argument("--answer", default="0.0.0.0")
    s.add_argument("--response-bytes", type=int, default=64)
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

    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
