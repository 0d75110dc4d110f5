/**
 * Connections (connections.ts): the unordered pair of endpoints a packet carried at one point,
 * and the union-find that joins every tuple a packet was seen with. A request and its reply must
 * land on one connection whichever way they travel, and the legs of a connection before and
 * after DNAT or SNAT must end in one flow; but two connections that only share an address must
 * stay apart, or one flow's loss is charged to another's path. An ICMP error quotes only a
 * tuple, so the latest connection made on it must be found from the tuple alone.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../util/prng';
import { Connections, icmpConnKey, portConnKey } from './connections';
import { hashStr, mix } from './tables';

const [ICMP, TCP, UDP, ICMPV6] = [1, 6, 17, 58];
const rand = mulberry32(4242);
const address = () => `10.${Math.floor(rand() * 4)}.${Math.floor(rand() * 4)}.${Math.floor(rand() * 4)}`;
const port = () => 1 + Math.floor(rand() * 65535);

/** A TCP/UDP connection key from a packet's src and dst, hashed as the walk's interned addresses are. */
const ports = (proto: number, src: string, sport: number, dst: string, dport: number) => portConnKey(proto, hashStr(src), src, sport, hashStr(dst), dst, dport);
const echo = (proto: number, src: string, dst: string, id: number) => icmpConnKey(proto, hashStr(src), src, hashStr(dst), dst, id);

describe('portConnKey', () => {
  it('gives both directions of a connection one key, also where a pod reaches itself through its service', () => {
    for (let k = 0; k < 300; k++) {
      // Few addresses: many pairs have the same address at both ends (hairpin after DNAT).
      const [a, b, ap, bp] = [address(), address(), port(), port()];
      for (const proto of [TCP, UDP]) expect(ports(proto, b, bp, a, ap), `${a}:${ap} ${b}:${bp}`).toBe(ports(proto, a, ap, b, bp));
    }
    expect(ports(TCP, '10.244.1.5', 80, '10.244.1.5', 41000)).toBe(ports(TCP, '10.244.1.5', 41000, '10.244.1.5', 80));
  });

  it('tells apart connections that differ in an address, a port, the side a port is on, or the protocol', () => {
    const key = ports(TCP, '10.244.1.5', 41000, '10.244.2.7', 8080);
    const others = [
      ports(TCP, '10.244.1.6', 41000, '10.244.2.7', 8080),
      ports(TCP, '10.244.1.5', 41001, '10.244.2.7', 8080),
      ports(TCP, '10.244.1.5', 41000, '10.244.2.7', 8081),
      ports(TCP, '10.244.1.5', 8080, '10.244.2.7', 41000),
      ports(UDP, '10.244.1.5', 41000, '10.244.2.7', 8080),
    ];
    for (const other of others) expect(other).not.toBe(key);
  });

  it('keeps the endpoints in order by their text when two addresses hash alike', () => {
    // A hash collision between two addresses must not make a connection's directions differ.
    const h = 0x1234_5678;
    const key = (a: string, ap: number, b: string, bp: number) => portConnKey(TCP, h, a, ap, h, b, bp);
    expect(key('10.0.0.2', 8080, '10.0.0.1', 41000)).toBe(key('10.0.0.1', 41000, '10.0.0.2', 8080));
    expect(key('10.0.0.1', 8080, '10.0.0.2', 41000)).not.toBe(key('10.0.0.1', 41000, '10.0.0.2', 8080));
  });
});

describe('icmpConnKey', () => {
  it('gives an echo request and its reply one key, and another identifier, pair or protocol another', () => {
    const key = echo(ICMP, '10.244.1.5', '10.244.2.7', 0x1c2d);
    expect(echo(ICMP, '10.244.2.7', '10.244.1.5', 0x1c2d)).toBe(key);
    expect(echo(ICMP, '10.244.1.5', '10.244.2.7', 0x1c2e)).not.toBe(key);
    expect(echo(ICMP, '10.244.1.5', '10.244.2.8', 0x1c2d)).not.toBe(key);
    expect(echo(ICMPV6, '10.244.1.5', '10.244.2.7', 0x1c2d)).not.toBe(key);
  });
});

describe('Connections', () => {
  it('makes one node per connection, numbered from 0 in the order first seen, and finds it again', () => {
    const conns = new Connections();
    const keys = [...new Set(Array.from({ length: 4000 }, () => ports(TCP, address(), port(), address(), port())))];
    const numbers = keys.map((_, n) => n);
    expect(keys.map((k) => conns.nodeOf(k))).toEqual(numbers);
    expect(conns.size).toBe(keys.length);
    expect(keys.map((k) => conns.nodeOf(k))).toEqual(numbers);
    expect(conns.size).toBe(keys.length);
  });

  it('joins the legs of a NATed connection into one flow and leaves other connections apart', () => {
    const conns = new Connections();
    // Client pod to the service VIP, then DNATed to the backend pod, then SNATed by the node.
    const vip = conns.nodeOf(ports(TCP, '10.244.1.5', 41000, '10.96.0.10', 80));
    const pod = conns.nodeOf(ports(TCP, '10.244.1.5', 41000, '10.244.2.7', 8080));
    const snat = conns.nodeOf(ports(TCP, '10.0.0.1', 61000, '10.244.2.7', 8080));
    const other = conns.nodeOf(ports(TCP, '10.244.1.5', 41001, '10.96.0.10', 80));
    conns.union(vip, pod);
    conns.union(snat, pod);
    expect(conns.root(pod)).toBe(conns.root(vip));
    expect(conns.root(snat)).toBe(conns.root(vip));
    expect(conns.root(other)).toBe(other);
    expect(conns.root(other)).not.toBe(conns.root(vip));
    // flows.ts indexes a table of conns.size entries by root.
    for (const n of [vip, pod, snat, other]) expect(conns.root(n)).toBeLessThan(conns.size);
  });

  it('knows the latest connection made on a tuple, found from a quote of either direction', () => {
    const conns = new Connections();
    const tuple = ports(TCP, '10.244.1.5', 41000, '10.244.2.7', 8080);
    expect(conns.known(tuple)).toBeUndefined();
    // MASQUERADE reuses the source port: a second SYN on the same tuple opens a new connection.
    const first = conns.nodeOf(mix(tuple, 1_000_001), tuple);
    expect(conns.known(tuple)).toBe(first);
    const second = conns.nodeOf(mix(tuple, 3_000_001), tuple);
    expect(second).not.toBe(first);
    expect(conns.known(ports(TCP, '10.244.2.7', 8080, '10.244.1.5', 41000))).toBe(second);
    // Without incarnations (UDP, ICMP echo) the key is its own tuple.
    const dns = ports(UDP, '10.244.1.5', 40000, '10.96.0.10', 53);
    const ping = echo(ICMP, '10.244.1.5', '10.244.2.7', 9);
    expect(conns.known(dns)).toBeUndefined();
    expect(conns.known(ping)).toBeUndefined();
    const dnsNode = conns.nodeOf(dns);
    const pingNode = conns.nodeOf(ping);
    expect(conns.known(dns)).toBe(dnsNode);
    expect(conns.known(ping)).toBe(pingNode);
  });
});
