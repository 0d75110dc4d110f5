/**
 * The FORWARD chain evaluated on real `iptables-save` output: testdata/*.rules were written by
 * iptables-save 1.8.9 (nf_tables) in a network namespace after the commands at the top of each
 * test were run there (kube-proxy's and flanneld's own rules; port drops of the lab's faults).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluate, inCidr, parseIptablesSave, tokenize, type PacketTuple } from './iptables';

const DATA = join(dirname(fileURLToPath(import.meta.url)), 'testdata');
const rules = (name: string) => parseIptablesSave(readFileSync(join(DATA, name), 'utf8'));
const pkt = (over: Partial<PacketTuple>): PacketTuple => ({ src: '10.244.1.2', dst: '10.244.2.2', proto: 'tcp', sport: 40000, dport: 80, in: 'flannel.1', out: 'cni0', ctstate: 'NEW', mark: 0, ...over });

describe('iptables-save parsing', () => {
  it('reads tables, policies, user chains and rules with their line numbers and quoted comments', () => {
    const r = rules('flannel-kube-proxy-policy-drop.rules');
    const f = r.get('filter')!;
    expect(f.get('FORWARD')!.policy).toBe('DROP');
    expect(f.get('KUBE-FORWARD')!.policy).toBeNull();
    expect(f.get('FORWARD')!.rules.map((x) => x.line)).toEqual([9, 10, 11]);
    expect(tokenize('-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD')).toEqual(['-A', 'FORWARD', '-m', 'comment', '--comment', 'flanneld forward', '-j', 'FLANNEL-FWD']);
  });
});

describe('FORWARD on flannel + kube-proxy with policy DROP (kube-proxy marks taken as known)', () => {
  const r = rules('flannel-kube-proxy-policy-drop.rules');
  it('pod traffic is accepted by flanneld\'s rule, through kube-proxy\'s chains and back', () => {
    const d = evaluate(r, 'filter', 'FORWARD', pkt({}));
    expect(d.verdict).toBe('ACCEPT');
    expect(d.text).toContain('-A FLANNEL-FWD -s 10.244.0.0/16');
    expect(d.line).toBe(12);
  });
  it('anything else falls to the policy, quoted', () => {
    const d = evaluate(r, 'filter', 'FORWARD', pkt({ src: '192.168.0.50', dst: '192.168.1.9', in: 'eth0', out: 'eth1' }));
    expect([d.verdict, d.text]).toEqual(['DROP', ':FORWARD DROP (the chain\'s policy)']);
  });
  it('an INVALID packet is dropped by kube-proxy\'s rule; an established one accepted by its conntrack rule', () => {
    expect(evaluate(r, 'filter', 'FORWARD', pkt({ ctstate: 'INVALID' }))).toMatchObject({ verdict: 'DROP', line: 14 });
    expect(evaluate(r, 'filter', 'FORWARD', pkt({ ctstate: 'ESTABLISHED', src: '192.168.0.50', dst: '192.168.1.9' }))).toMatchObject({ verdict: 'ACCEPT', line: 16 });
  });
  it('with the mark unknown, kube-proxy\'s mark rule could decide: unknown, naming it', () => {
    const d = evaluate(r, 'filter', 'FORWARD', pkt({ mark: undefined }));
    expect(d.verdict).toBe('unknown');
    expect(d.line).toBe(15);
    expect(d.verdict === 'unknown' && d.why).toMatch(/mark/);
  });
});

describe('FORWARD with port drops (policy ACCEPT)', () => {
  const r = rules('port-drops.rules');
  it('TCP 8080 is dropped by its rule; TCP 80 is not', () => {
    expect(evaluate(r, 'filter', 'FORWARD', pkt({ dport: 8080 }))).toMatchObject({ verdict: 'DROP', line: 6 });
    // TCP 80 reaches the physdev and addrtype rules, which cannot be evaluated and DROP/LOG.
    const d = evaluate(r, 'filter', 'FORWARD', pkt({ dport: 80 }));
    expect(d).toMatchObject({ verdict: 'unknown', line: 10 });
  });
  it('DNS from flannel.1 to cni0 is rejected (multiport, -i/-o); from elsewhere it is not matched by that rule', () => {
    expect(evaluate(r, 'filter', 'FORWARD', pkt({ proto: 'udp', dport: 53 }))).toMatchObject({ verdict: 'REJECT', line: 7 });
    expect(evaluate(r, 'filter', 'FORWARD', pkt({ proto: 'udp', dport: 53, in: 'eth0' })).line).not.toBe(7);
  });
  it('a port range with a negated source: dropped from another subnet, not from 10.244.1.0/24', () => {
    expect(evaluate(r, 'filter', 'FORWARD', pkt({ src: '10.244.2.7', dport: 9050 }))).toMatchObject({ verdict: 'DROP', line: 8 });
    expect(evaluate(r, 'filter', 'FORWARD', pkt({ src: '10.244.1.7', dport: 9050 })).line).not.toBe(8);
  });
  it('an interface not known makes an -i/-o rule unknown rather than guessed', () => {
    expect(evaluate(r, 'filter', 'FORWARD', pkt({ proto: 'udp', dport: 53, in: undefined }))).toMatchObject({ verdict: 'unknown', line: 7 });
  });
});

describe('addresses', () => {
  it('IPv4 and IPv6 prefixes', () => {
    expect(inCidr('10.244.3.9', '10.244.0.0/16')).toBe(true);
    expect(inCidr('10.245.0.1', '10.244.0.0/16')).toBe(false);
    expect(inCidr('fd00:10:244:2::2', 'fd00:10:244::/56')).toBe(true);
    expect(inCidr('fd00:10:245::2', 'fd00:10:244::/56')).toBe(false);
    expect(inCidr('10.0.0.1', '0.0.0.0/0')).toBe(true);
  });
});

describe('what the kernel does that a naive reading misses', () => {
  const r = (body: string) => parseIptablesSave(`*mangle\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n*filter\n:FORWARD DROP [0:0]\n${body}\nCOMMIT\n`);
  it('a MARK target changes what a later -m mark rule sees (Calico\'s pattern)', () => {
    const rules = r('-A FORWARD -j MARK --set-xmark 0x10000/0x10000\n-A FORWARD -m mark --mark 0x10000/0x10000 -j ACCEPT');
    expect(evaluate(rules, 'filter', 'FORWARD', pkt({ mark: 0 })).verdict).toBe('ACCEPT');
  });
  it('a connection mark, a DNAT/SNAT ctstate and an ICMP code are not guessed', () => {
    expect(evaluate(r('-A FORWARD -m connmark --mark 0x1 -j ACCEPT'), 'filter', 'FORWARD', pkt({})).verdict).toBe('unknown');
    expect(evaluate(r('-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT'), 'filter', 'FORWARD', pkt({})).verdict).toBe('unknown');
    const icmp = pkt({ proto: 'icmp', icmpType: 3, sport: undefined, dport: undefined });
    expect(evaluate(r('-A FORWARD -p icmp -m icmp --icmp-type 3/4 -j ACCEPT'), 'filter', 'FORWARD', icmp).verdict).toBe('unknown');
    expect(evaluate(r('-A FORWARD -p icmp -m icmp --icmp-type any -j ACCEPT'), 'filter', 'FORWARD', icmp).verdict).toBe('ACCEPT');
  });
});

describe('rules written as iptables-save writes them at the edges (statistic-dotted-mask.rules)', () => {
  const r = rules('statistic-dotted-mask.rules');
  it('a rule that drops a random share is not guessed either way: unknown, saying why', () => {
    const d = evaluate(r, 'filter', 'INPUT', pkt({ src: '192.168.0.11', dst: '192.168.0.12', proto: 'udp', dport: 8472, in: 'eth0', out: undefined }));
    expect(d).toMatchObject({ verdict: 'unknown', line: 6 });
    expect(d.verdict === 'unknown' && d.why).toMatch(/statistic matches a share of the packets/);
  });

  it('a mask that is not a prefix (10.0.0.0/255.0.255.0) matches by its bits', () => {
    expect(inCidr('10.7.0.9', '10.0.0.0/255.0.255.0')).toBe(true);
    expect(inCidr('10.7.1.9', '10.0.0.0/255.0.255.0')).toBe(false);
    expect(evaluate(r, 'filter', 'FORWARD', pkt({ src: '10.99.0.1' }))).toMatchObject({ verdict: 'DROP', line: 7 });
  });

  it('a quoted comment that looks like an option stays a comment', () => {
    expect(evaluate(r, 'filter', 'FORWARD', pkt({ src: '10.99.1.1', dport: 80 }))).toMatchObject({ verdict: 'ACCEPT', line: 8 });
  });
});
