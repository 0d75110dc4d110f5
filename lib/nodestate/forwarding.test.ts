/** Routes, neighbours and FDB as node1 recorded them (lib/kit/testdata, a real kit bundle). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { openBundle } from './bundle';
import { routeFor, vxlanPath } from './forwarding';
import { parseNodeState } from './state';

const file = join(dirname(fileURLToPath(import.meta.url)), '..', 'kit', 'testdata', 'forward-8080-drop', 'node1-hopscope.tar.gz');
const st = parseNodeState(openBundle(new Uint8Array(gunzipSync(readFileSync(file))), 'node1-hopscope.tar.gz').state);

describe('where node1 sends a packet', () => {
  it('picks the longest prefix of the main table, never a local or broadcast route', () => {
    expect(routeFor(st.routes!, '10.244.2.2')).toMatchObject({ via: '10.244.2.0', devs: ['flannel.1'] });
    expect(routeFor(st.routes!, '10.244.1.7')).toMatchObject({ via: null, devs: ['cni0'] });
    expect(routeFor(st.routes!, '8.8.8.8')).toBeNull();
    expect(routeFor(['default via 192.168.0.1 dev eth0', '10.0.0.0/8 dev eth1'], '10.1.2.3')?.devs).toEqual(['eth1']);
    expect(routeFor(['default via 192.168.0.1 dev eth0', '10.0.0.0/8 dev eth1'], '11.1.2.3')?.devs).toEqual(['eth0']);
  });

  it('follows a VXLAN route to its neighbour entry and its VTEP', () => {
    const f = vxlanPath(st, '10.244.2.2', 'flannel.1');
    expect(f.map((x) => [x.found, x.evidence])).toEqual([
      [true, '10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink'],
      [true, '10.244.2.0 dev flannel.1 lladdr 0e:61:06:ff:7a:02 PERMANENT'],
      [true, '0e:61:06:ff:7a:02 dev flannel.1 dst 192.168.77.2 self permanent'],
    ]);
    const noFdb = vxlanPath({ ...st, fdb: st.fdb!.filter((l) => !l.includes('dst')) }, '10.244.2.2', 'flannel.1');
    expect(noFdb[2]).toMatchObject({ found: false });
  });
});

describe('routes that discard', () => {
  it("a blackhole (Calico's for its own block) is the route taken when it is the longest prefix", () => {
    const routes = ['default via 10.10.0.1 dev eth0', 'blackhole 192.168.84.128/26 proto bird', '192.168.84.136 dev cali59653752d1e scope link'];
    expect(routeFor(routes, '192.168.84.135')).toMatchObject({ discards: 'blackhole', devs: [], line: 'blackhole 192.168.84.128/26 proto bird' });
    expect(routeFor(routes, '192.168.84.136')).toMatchObject({ discards: null, devs: ['cali59653752d1e'] });
    expect(routeFor(['unreachable 10.1.0.0/16', 'throw 10.1.2.0/24'], '10.1.2.3')).toMatchObject({ discards: null });
  });
});

