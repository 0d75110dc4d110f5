/**
 * What runs in the cluster during the incident, and how much of it. Rates are for the full-size
 * incident (1,000,000 packets over eight files, about 30 s of traffic) and scale with the packet
 * budget; what a node does whatever the load (kubelet probes, ARP, the admin's ssh sessions)
 * does not scale.
 *
 * Pod A (shop-client, node1) talks to pods on node2: pod B (web, both directly and through the
 * ClusterIP service shop/web), api-2, postgres, redis; it pings them and resolves names through
 * kube-dns. Around it: other pods of both nodes talking over VXLAN, Prometheus scraping the
 * nodes (MASQUERADE'd onto eth0), node2's kubelet and kube-proxy watching the API server on
 * node1, kubelet probes, ssh from the admin's laptop, ARP. And one broken flow (BROKEN_FLOW).
 */
import { BROKEN_FLOW, gatewayOf, HOSTS, ipv4, NODE1, NODE1_PODS, NODE2, NODE2_PODS, PODS, POD_A, POD_B, SERVICES, type Endpoint } from './cluster';
import { arpBridge, arpUnderlay, arrivals, dnsLookup, pinger, stream, tcpSession, type SessionSpec } from './apps';
import { conversation, dropAfter } from './paths';
import type { Payloads } from './payload';
import { TcpConnection, type Message } from './tcp';
import { ephemeralPort, exponential, logUniform, MS, pick, randInt, S, US, type World } from './world';

/** Session and process rates at full size; multiplied by packets / 1,000,000. */
export const FULL_SIZE_RATES = {
  /** Pod A → shop/web (DNAT to pod B:80), sessions per second. */
  webService: 14,
  /** Pod A → pod B:8080 directly. */
  webDirect: 12,
  /** Pod A → api-2:8080 and postgres:5432 on node2. */
  otherPods: 12,
  /** Pod A's name lookups per second. */
  lookups: 32,
  /** Pod A's echo requests per second, spread over its ping processes (half to pod B). */
  pings: 80,
  /** Requests per second on pod A's pooled Redis connections, open before the capture. */
  redis: 400,
  /** Requests per second to a cache on pod A's own node (seen on pod A's veth only). */
  localCache: 40,
  /** Other node1 pods → node2 pods, and node2 pods → node1 pods (some to pod A's metrics). */
  podsNode1ToNode2: 32,
  podsNode2ToNode1: 14,
  /** Other pods' name lookups. */
  otherLookups: 20,
  /** Prometheus (node1) scraping node2's node-exporter and kubelet, MASQUERADE'd, and node1's. */
  scrapes: 10,
  /** Watch events per second from the API server (node1:6443) to node2's components. */
  apiEvents: 120,
  /** The API server reaching node2's kubelet (logs, exec). */
  kubeletCalls: 3,
} as const;

/** The broken flow must have ended and been followed by traffic before the captures stop. */
export const MIN_TRAFFIC_NS = (BROKEN_FLOW.startNs + BROKEN_FLOW.giveUpS * S) + 2 * S;

const SEARCH = ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'];

/** Names and what they resolve to; the resolver tries the search list first (ndots:5). */
const LOOKUPS: { name: string; address: number }[] = [
  { name: 'web', address: SERVICES.web.clusterIp },
  { name: 'api-2', address: ipv4('10.96.201.7') },
  { name: 'redis.data', address: ipv4('10.96.77.3') },
  { name: 'postgres.data', address: ipv4('10.96.12.250') },
  { name: 'payments.example.com', address: ipv4('203.0.113.40') },
];

function candidates(name: string): string[] {
  const dots = name.split('.').length - 1;
  const expanded = SEARCH.map((s) => `${name}.${s}`);
  if (dots === 0) return expanded.slice(0, 1);
  if (dots === 1) return expanded.slice(0, 2);
  return [...expanded, name];
}

type Sizes = (rand: () => number) => number;
/** nginx serving a shop: mostly small JSON and images, a few large downloads. */
const WEB_SIZES: Sizes = (r) => {
  const x = r();
  return x < 0.7 ? logUniform(r, 200, 4000) : x < 0.96 ? logUniform(r, 4000, 60_000) : logUniform(r, 60_000, 800_000);
};
const API_SIZES: Sizes = (r) => (r() < 0.9 ? logUniform(r, 150, 3000) : logUniform(r, 3000, 100_000));
const METRICS_SIZES: Sizes = (r) => logUniform(r, 20_000, 120_000);

function http(w: World, pay: Payloads, client: Endpoint, server: Endpoint, port: number, host: string, sizes: Sizes, exchanges: number, extra: Partial<SessionSpec> = {}): SessionSpec {
  const agent = client.kind === 'pod' ? `${client.name}/2.3` : 'kube-probe/1.31';
  return {
    client,
    server,
    port,
    exchanges,
    request: (done) => pay.httpRequest(host, pay.randomPath(), agent, done),
    response: (done) => pay.httpResponse(sizes(w.rand), 'application/json', done),
    thinkNs: () => Math.floor(exponential(w.rand, 20 * MS)),
    serverNs: () => logUniform(w.rand, 80 * US, 4 * MS),
    ...extra,
  };
}

function postgres(w: World, pay: Payloads, client: Endpoint): SessionSpec {
  return {
    client,
    server: PODS.postgres,
    port: 5432,
    exchanges: randInt(w.rand, 2, 8),
    request: (done) => pay.message('Q', randInt(w.rand, 60, 400), 'text', done),
    response: (done) => pay.message('T', logUniform(w.rand, 100, 12_000), 'text', done),
    thinkNs: () => logUniform(w.rand, 100 * US, 5 * MS),
    serverNs: () => logUniform(w.rand, 150 * US, 8 * MS),
  };
}

function tlsCall(w: World, pay: Payloads, client: Endpoint, server: Endpoint, port: number, sizes: Sizes, nat?: SessionSpec['nat']): SessionSpec {
  return {
    client,
    server,
    port,
    nat,
    exchanges: randInt(w.rand, 1, 3),
    request: (done) => pay.tls(randInt(w.rand, 120, 900), done),
    response: (done) => pay.tls(sizes(w.rand), done),
    thinkNs: () => logUniform(w.rand, 1 * MS, 40 * MS),
    serverNs: () => logUniform(w.rand, 200 * US, 10 * MS),
  };
}

/** What every stage needs: the world, the payloads, and the load's scale. */
interface Stage {
  w: World;
  pay: Payloads;
  r: () => number;
  /** A full-size rate, scaled. */
  rate: (k: number) => number;
  /** A full-size number of processes, scaled, at least `min`. */
  count: (k: number, min?: number) => number;
}

const REMOTE_PODS = NODE2_PODS.filter((p) => p !== POD_B && p !== PODS.coredns);
const NODE1_OTHERS = NODE1_PODS.filter((p) => p !== POD_A && p !== PODS.prometheus && p !== PODS.cacheLocal);

/** Starts everything; returns the broken flow's client port. */
export function startTraffic(w: World, pay: Payloads, scale: number): { brokenClientPort: number } {
  const s: Stage = { w, pay, r: w.rand, rate: (k) => k * scale, count: (k, min = 1) => Math.max(min, Math.round(k * scale)) };
  podA(s);
  otherPods(s);
  scrapes(s);
  underlay(s);
  nodeChores(s);
  return { brokenClientPort: startBrokenFlow(w) };
}

function lookup(s: Stage, client: Endpoint): (t: number) => void {
  return (t) => {
    const l = pick(s.r, LOOKUPS);
    dnsLookup(s.w, client, candidates(l.name), l.address, t);
  };
}

/** Pod A, the client of the incident: one of each kind early, whatever the size, then more. */
function podA(s: Stage): void {
  const { w, pay, r, rate, count } = s;
  const webService = (t: number) => tcpSession(w, { ...http(w, pay, POD_A, POD_B, 80, 'web', WEB_SIZES, randInt(r, 1, 4)), nat: { kind: 'dnat', service: SERVICES.web } }, t);
  const webDirect = (t: number) => tcpSession(w, http(w, pay, POD_A, POD_B, 8080, 'web:8080', API_SIZES, randInt(r, 1, 3)), t);
  const otherPod = (t: number) =>
    r() < 0.6 ? tcpSession(w, http(w, pay, POD_A, PODS.api2, 8080, 'api-2', API_SIZES, randInt(r, 1, 3)), t) : tcpSession(w, postgres(w, pay, POD_A), t);
  webService(300 * MS);
  webDirect(420 * MS);
  otherPod(510 * MS);
  lookup(s, POD_A)(250 * MS);
  arrivals(w, rate(FULL_SIZE_RATES.webService), 0, webService);
  arrivals(w, rate(FULL_SIZE_RATES.webDirect), 0, webDirect);
  arrivals(w, rate(FULL_SIZE_RATES.otherPods), 0, otherPod);
  arrivals(w, rate(FULL_SIZE_RATES.lookups), 0, lookup(s, POD_A));
  const pingers = count(FULL_SIZE_RATES.pings / 5, 2);
  // Each ping's interval, in steps of 0.2 s, so that all together send the rate asked for.
  const interval = Math.max(200 * MS, Math.round((pingers / rate(FULL_SIZE_RATES.pings)) * 5) * (S / 5));
  for (let i = 0; i < pingers; i++) pinger(w, POD_A, i % 2 === 0 ? POD_B : pick(r, REMOTE_PODS), interval, Math.floor(r() * S));
  const pool = count(FULL_SIZE_RATES.redis / 60);
  for (let i = 0; i < pool; i++) {
    stream(w, { client: POD_A, server: PODS.redis, port: 6379, rpc: redisRpc(w, pay, (pool / rate(FULL_SIZE_RATES.redis)) * S) }, 0);
  }
  // A cache on the same node: bridged, so seen on pod A's veth and cni0 only.
  stream(w, { client: POD_A, server: PODS.cacheLocal, port: 11211, rpc: redisRpc(w, pay, S / rate(FULL_SIZE_RATES.localCache)) }, 0);
}

/** Other pods over VXLAN, both ways: never on pod A's veth, some on pod B's. */
function otherPods(s: Stage): void {
  const { w, pay, r, rate } = s;
  arrivals(w, rate(FULL_SIZE_RATES.podsNode1ToNode2), 0, (t) => {
    const client = pick(r, NODE1_OTHERS);
    const x = r();
    if (x < 0.35) tcpSession(w, http(w, pay, client, POD_B, 8080, 'web:8080', API_SIZES, randInt(r, 1, 3)), t);
    else if (x < 0.6) tcpSession(w, http(w, pay, client, PODS.api2, 8080, 'api-2', API_SIZES, randInt(r, 1, 3)), t);
    else if (x < 0.8) tcpSession(w, postgres(w, pay, client), t);
    else tcpSession(w, http(w, pay, client, PODS.search, 9200, 'search:9200', WEB_SIZES, randInt(r, 1, 2)), t);
  });
  arrivals(w, rate(FULL_SIZE_RATES.podsNode2ToNode1), 0, (t) => {
    if (r() < 0.3) tcpSession(w, http(w, pay, PODS.metricsAgent, POD_A, 9102, '10.244.1.2:9102', METRICS_SIZES, 1), t);
    else tcpSession(w, http(w, pay, pick(r, [PODS.api2, PODS.search]), pick(r, NODE1_OTHERS), 8080, 'frontend:8080', API_SIZES, randInt(r, 1, 3)), t);
  });
  arrivals(w, rate(FULL_SIZE_RATES.otherLookups), 0, (t) => lookup(s, pick(r, [...NODE1_OTHERS, PODS.prometheus]))(t));
}

/** Prometheus on node1: node2's exporters through MASQUERADE, node1's own straight to the host. */
function scrapes(s: Stage): void {
  const { w, pay, r, rate } = s;
  const masq = { kind: 'masquerade' } as const;
  arrivals(w, rate(FULL_SIZE_RATES.scrapes), 0, (t) => {
    const x = r();
    if (x < 0.4) tcpSession(w, { ...http(w, pay, PODS.prometheus, HOSTS.node2, 9100, '192.168.56.12:9100', METRICS_SIZES, 1), nat: masq }, t);
    else if (x < 0.7) tcpSession(w, tlsCall(w, pay, PODS.prometheus, HOSTS.node2, 10250, METRICS_SIZES, masq), t);
    else tcpSession(w, http(w, pay, PODS.prometheus, HOSTS.node1, 9100, '192.168.56.11:9100', METRICS_SIZES, 1), t);
  });
}

/** The underlay: node2's kubelet, kube-proxy and flanneld watching the API server on node1. */
function underlay(s: Stage): void {
  const { w, pay, r, rate, count } = s;
  const watches = count(FULL_SIZE_RATES.apiEvents / 6, 2);
  for (let i = 0; i < watches; i++) {
    stream(
      w,
      {
        client: HOSTS.node2,
        server: HOSTS.node1,
        port: 6443,
        serverPush: { meanNs: (watches / rate(FULL_SIZE_RATES.apiEvents)) * S, message: () => pay.tls(logUniform(r, 200, 6000)) },
        clientPush: { meanNs: logUniform(r, 800, 3000) * MS, message: () => pay.tls(randInt(r, 60, 600)) },
      },
      0,
    );
  }
  arrivals(w, rate(FULL_SIZE_RATES.kubeletCalls), 0, (t) => tcpSession(w, tlsCall(w, pay, HOSTS.node1, HOSTS.node2, 10250, API_SIZES), t));
}

/** What a node does whatever the load: kubelet's probes every 10 s, the admin's ssh, ARP. */
function nodeChores(s: Stage): void {
  const { w, pay, r } = s;
  for (const node of [NODE1, NODE2]) {
    const pods = node === NODE1 ? NODE1_PODS : NODE2_PODS;
    const captured = node === NODE1 ? POD_A : POD_B;
    const self = node === NODE1 ? HOSTS.node1 : HOSTS.node2;
    for (const pod of pods) {
      const port = pod === POD_B ? 80 : 8080;
      const probe = (t: number) => {
        if (w.draining) return;
        tcpSession(w, http(w, pay, gatewayOf(node), pod, port, `${pod.name}:${port}`, () => randInt(r, 2, 120), 1), t);
        w.at(t + 10 * S, () => probe(w.now));
      };
      w.at(Math.floor(r() * 10 * S), () => probe(w.now));
      arpBridge(w, node, pod, captured);
    }
    const keystroke = { meanNs: 350 * MS, message: () => pay.ssh(0), echo: () => pay.ssh(r() < 0.9 ? 0 : randInt(r, 4, 400)) };
    stream(w, { client: HOSTS.admin, server: self, port: 22, clientPush: keystroke }, 0);
    arpUnderlay(w, HOSTS.admin, self, r() < 0.5);
  }
  arpUnderlay(w, HOSTS.node1, HOSTS.node2, false);
  arpUnderlay(w, HOSTS.node2, HOSTS.node1, false);
}

function redisRpc(w: World, pay: Payloads, meanNs: number): NonNullable<Parameters<typeof stream>[1]['rpc']> {
  return {
    meanNs,
    request: (): Message => pay.redisGet(`session:${randInt(w.rand, 1000, 99999)}`),
    response: (): Message => pay.redisValue(logUniform(w.rand, 20, 2000)),
    serverNs: () => logUniform(w.rand, 20 * US, 300 * US),
  };
}

/**
 * Pod A → pod B:9090. node2's FORWARD chain drops it (a network policy): the SYN and its
 * retransmissions reach node2's flannel.1 and go no further; pod A gives up after 8 s.
 */
function startBrokenFlow(w: World): number {
  const port = ephemeralPort(w.rand);
  const conv = conversation(POD_A, port, POD_B, BROKEN_FLOW.serverPort);
  dropAfter(conv.fwd, BROKEN_FLOW.lastPoint);
  const conn = new TcpConnection(w, conv, POD_A, POD_B);
  conn.connect(BROKEN_FLOW.startNs, () => {}, { synRetriesS: BROKEN_FLOW.retransmitsS, giveUpS: BROKEN_FLOW.giveUpS });
  return port;
}
