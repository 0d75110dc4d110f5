/**
 * What the applications say: HTTP requests and responses, TLS records, Redis commands, ssh
 * packets and DNS. Bodies are windows into two fixed patterns (JSON-like text, random bytes), so
 * no message is built byte by byte, and the first payload bytes of two packets rarely agree.
 */
import type { Message } from './tcp';
import { randInt } from './world';

const PATTERN_BYTES = 1 << 17;
/** A full TLS 1.3 record: header, 2^14 bytes of plaintext, content type, 16-byte tag. */
const TLS_RECORD = 5 + 16384 + 1 + 16;
const enc = new TextEncoder();

export class Payloads {
  private readonly text: Uint8Array;
  private readonly noise: Uint8Array;

  constructor(private readonly rand: () => number) {
    this.noise = new Uint8Array(PATTERN_BYTES);
    for (let i = 0; i < PATTERN_BYTES; i++) this.noise[i] = Math.floor(rand() * 256);
    const words = ['"id":', '"sku":"', '"name":"', '"price":', '"stock":', '"tags":["', '"updated":"', 'null', 'true', '},{', '"region":"eu-west"', '"qty":'];
    const parts: string[] = [];
    let n = 0;
    while (n < PATTERN_BYTES) {
      const w = words[Math.floor(rand() * words.length)]! + Math.floor(rand() * 100000).toString(36) + ',';
      parts.push(w);
      n += w.length;
    }
    this.text = enc.encode(parts.join('')).subarray(0, PATTERN_BYTES);
  }

  /** A message of `head` followed by `bodyLength` bytes of text or noise. */
  message(head: string | Uint8Array, bodyLength: number, body: 'text' | 'noise', onDelivered?: (t: number) => void): Message {
    const h = typeof head === 'string' ? enc.encode(head) : head;
    const pattern = body === 'text' ? this.text : this.noise;
    const start = Math.floor(this.rand() * PATTERN_BYTES);
    return {
      length: h.length + bodyLength,
      onDelivered,
      fill(buf, at, offset, length) {
        let o = offset;
        let a = at;
        const end = offset + length;
        if (o < h.length) {
          const n = Math.min(h.length, end) - o;
          buf.set(h.subarray(o, o + n), a);
          o += n;
          a += n;
        }
        while (o < end) {
          const p = (start + o - h.length) % PATTERN_BYTES;
          const n = Math.min(end - o, PATTERN_BYTES - p);
          buf.set(pattern.subarray(p, p + n), a);
          o += n;
          a += n;
        }
      },
    };
  }

  httpRequest(host: string, path: string, agent: string, onDelivered?: (t: number) => void): Message {
    return this.message(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: ${agent}\r\nAccept: */*\r\n\r\n`, 0, 'text', onDelivered);
  }

  httpResponse(bodyLength: number, type: string, onDelivered?: (t: number) => void): Message {
    return this.message(`HTTP/1.1 200 OK\r\nContent-Type: ${type}\r\nContent-Length: ${bodyLength}\r\n\r\n`, bodyLength, 'text', onDelivered);
  }

  /**
   * TLS 1.3 application data: records of at most 2^14 bytes of plaintext (16,401 of
   * ciphertext), each behind its 5-byte header.
   */
  tls(length: number, onDelivered?: (t: number) => void): Message {
    const total = Math.max(length, 29);
    const noise = this.message(new Uint8Array(0), total, 'noise');
    return {
      length: total,
      onDelivered,
      fill(buf, at, offset, length) {
        noise.fill(buf, at, offset, length);
        // Overwrite the record headers that fall inside [offset, offset + length).
        const first = Math.floor(offset / TLS_RECORD);
        for (let r = first; r * TLS_RECORD < offset + length; r++) {
          const start = r * TLS_RECORD;
          const body = Math.min(TLS_RECORD, total - start) - 5;
          const head = [0x17, 0x03, 0x03, body >>> 8, body & 0xff];
          for (let k = 0; k < 5; k++) {
            const o = start + k;
            if (o >= offset && o < offset + length) buf[at + o - offset] = head[k]!;
          }
        }
      },
    };
  }

  redisGet(key: string, onDelivered?: (t: number) => void): Message {
    return this.message(`*2\r\n$3\r\nGET\r\n$${key.length}\r\n${key}\r\n`, 0, 'text', onDelivered);
  }

  redisValue(length: number, onDelivered?: (t: number) => void): Message {
    return this.message(`$${length}\r\n`, length, 'text', onDelivered);
  }

  /** An ssh packet: length, padding and MAC make it 36 bytes and up in steps of 16. */
  ssh(blocks: number, onDelivered?: (t: number) => void): Message {
    return this.message(new Uint8Array(0), 36 + 16 * blocks, 'noise', onDelivered);
  }

  randomPath(): string {
    const r = this.rand;
    const kinds = ['/api/v1/products/', '/api/v1/cart/', '/api/v1/orders/', '/static/img/', '/api/v1/users/'];
    return kinds[Math.floor(r() * kinds.length)]! + randInt(r, 1, 99999).toString();
  }
}

// ---------------------------------------------------------------------------------------------
// DNS (RFC 1035 §4.1): a header, one question, and for answers one A record by name pointer.

export const DNS_TYPE_A = 1;
export const DNS_TYPE_AAAA = 28;

function encodeName(name: string): Uint8Array {
  const out: number[] = [];
  for (const label of name.split('.')) {
    if (label === '') continue;
    out.push(label.length, ...enc.encode(label));
  }
  out.push(0);
  return Uint8Array.from(out);
}

export interface DnsAnswer {
  /** NXDOMAIN for names the search list made up; NOERROR otherwise. */
  nxdomain: boolean;
  /** The A record's address, or null for no answer (AAAA in an IPv4-only cluster). */
  address: number | null;
}

/** A query as glibc's stub resolver sends it: recursion desired, no EDNS. */
export function dnsQuery(txid: number, name: string, qtype: number): Uint8Array {
  const qname = encodeName(name);
  const out = new Uint8Array(12 + qname.length + 4);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, txid);
  dv.setUint16(2, 0x0100);
  dv.setUint16(4, 1);
  out.set(qname, 12);
  dv.setUint16(12 + qname.length, qtype);
  dv.setUint16(14 + qname.length, 1);
  return out;
}

/** CoreDNS's answer: authoritative for cluster.local, 30-second TTLs. */
export function dnsResponse(query: Uint8Array, answer: DnsAnswer): Uint8Array {
  const withA = answer.address !== null && !answer.nxdomain;
  const out = new Uint8Array(query.length + (withA ? 16 : 0));
  out.set(query);
  const dv = new DataView(out.buffer);
  dv.setUint16(2, answer.nxdomain ? 0x8583 : 0x8580);
  if (withA) {
    dv.setUint16(6, 1);
    const o = query.length;
    dv.setUint16(o, 0xc00c);
    dv.setUint16(o + 2, DNS_TYPE_A);
    dv.setUint16(o + 4, 1);
    dv.setUint32(o + 6, 30);
    dv.setUint16(o + 10, 4);
    dv.setUint32(o + 12, answer.address!);
  }
  return out;
}
