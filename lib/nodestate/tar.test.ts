/** Tar archives as GNU tar writes them (the capture kit runs `tar -czf`), made here by tar itself. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { defaultRouteDevices, rolesFromState } from './roles';
import { parseLinks, parseNetDev } from './state';
import { TarFormatError, untar } from './tar';

describe('untar', () => {
  it('returns every regular file of a tar -czf archive, long names included, byte for byte', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hopscope-tar-'));
    try {
      const src = join(dir, 'b');
      mkdirSync(join(src, 'captures'), { recursive: true });
      mkdirSync(join(src, 'state'), { recursive: true });
      const big = Buffer.alloc(70_000, 7);
      writeFileSync(join(src, 'captures', 'node1-flannel.1.pcap'), big);
      const long = `${'x'.repeat(120)}.txt`;
      writeFileSync(join(src, 'state', long), 'long name\n');
      writeFileSync(join(src, 'manifest.json'), '{"node":"node1"}\n');
      execFileSync('tar', ['-czf', join(dir, 'node1-hopscope.tar.gz'), '-C', src, '.']);
      const files = untar(new Uint8Array(gunzipSync(readFileSync(join(dir, 'node1-hopscope.tar.gz')))), 'node1-hopscope.tar.gz');
      expect([...files.keys()].sort()).toEqual(['captures/node1-flannel.1.pcap', 'manifest.json', `state/${long}`]);
      expect(Buffer.from(files.get('captures/node1-flannel.1.pcap')!).equals(big)).toBe(true);
      expect(new TextDecoder().decode(files.get('manifest.json'))).toBe('{"node":"node1"}\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses what is not a tar archive, naming the byte offset', () => {
    expect(() => untar(new Uint8Array(1024).fill(65), 'x.tar.gz')).toThrow(TarFormatError);
    expect(() => untar(new Uint8Array(1024).fill(65), 'x.tar.gz')).toThrow(/x\.tar\.gz: .*at byte 0/);
  });
});

describe('untar on hostile input', () => {
  it('a negative size is an error, never a loop', () => {
    const h = new Uint8Array(1024);
    h.set(new TextEncoder().encode('x'), 0);
    h.set(new TextEncoder().encode('-0000002000'), 124);
    h[156] = 48;
    h.set(new TextEncoder().encode('        '), 148);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += h[i]!;
    h.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
    expect(() => untar(h, 'evil-hopscope.tar.gz')).toThrow(/evil-hopscope\.tar\.gz: entry at byte 0 has no valid size/);
  });
});

describe('node state files', () => {
  it('reads ip -d -o link: up or down, kind, MTU, master', () => {
    const text = [
      '3: cni0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether 62:4c:f1:9b:41:01 brd ff:ff:ff:ff:ff:ff promiscuity 0 minmtu 68 maxmtu 65535 \\    bridge forward_delay 1500',
      '4: flannel.1: <BROADCAST,MULTICAST> mtu 1450 qdisc noqueue state DOWN mode DEFAULT group default \\    link/ether 0e:61:06:ff:7a:73 brd ff:ff:ff:ff:ff:ff promiscuity 0 \\    vxlan id 1 local 192.168.0.11 dev eth0 srcport 0 0 dstport 8472 nolearning',
      '5: veth3a1b2c4d@if2: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1450 qdisc noqueue master cni0 state UP mode DEFAULT \\    link/ether a6:3e:11:5c:20:01 \\    veth bridge_slave state forwarding',
    ].join('\n');
    const links = parseLinks(text);
    expect(links.get('cni0')).toMatchObject({ up: true, kind: 'bridge', mtu: 1450, master: null });
    expect(links.get('flannel.1')).toMatchObject({ up: false, kind: 'vxlan' });
    expect(links.get('veth3a1b2c4d')).toMatchObject({ up: true, kind: 'veth', master: 'cni0' });
    // A word inside another ("master br-vxlan") is no kind.
    expect(parseLinks('9: vethx@if2: <UP,LOWER_UP> mtu 1450 master br-vxlan state UP \\    link/ether a6:3e:11:5c:20:09 \\    veth').get('vethx')).toMatchObject({ kind: 'veth', master: 'br-vxlan' });
  });

  it('gives roles from ip -d link and the default route: tunnel overlay, bridge, veth pod, the tunnel\'s device and the default route\'s NIC', () => {
    const links = parseLinks(
      [
        '2: ens160: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP mode DEFAULT \\    link/ether 52:54:00:a8:00:0b',
        '3: tunl0@NONE: <NOARP,UP,LOWER_UP> mtu 1480 qdisc noqueue state UNKNOWN \\    link/ipip 0.0.0.0 brd 0.0.0.0 \\    ipip any remote any local any ttl inherit nopmtudisc',
        '7: cali1a2b3c4d5e6@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1480 qdisc noqueue state UP \\    link/ether ee:ee:ee:ee:ee:ee \\    veth',
      ].join('\n'),
    );
    const st = { links } as Parameters<typeof rolesFromState>[0];
    const roles = rolesFromState(st, defaultRouteDevices('default via 192.168.0.1 dev ens160 proto dhcp\n10.244.1.0/24 dev cali1a2b3c4d5e6 scope link'));
    expect(Object.fromEntries(roles)).toEqual({ tunl0: 'overlay', cali1a2b3c4d5e6: 'pod', ens160: 'nic' });
  });

  it('reads /proc/net/dev drop counters', () => {
    const text = 'Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n  eth0:  1000  10 0 3 0 0 0 0  2000  20 0 4 0 0 0 0\n';
    expect(parseNetDev(text).get('eth0')).toEqual({ rxPackets: 10, rxDropped: 3, txPackets: 20, txDropped: 4 });
  });
});
