/**
 * Tiny byte builders for classic pcap and pcapng files, in either byte order. Used by tests and
 * fuzzing to make exactly the file a case needs (a writer for real exports lives in
 * pcap-writer.ts).
 */

export class ByteBuilder {
  private parts: number[] = [];
  constructor(readonly littleEndian = true) {}
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    const b = [v & 0xff, (v >>> 8) & 0xff];
    this.parts.push(...(this.littleEndian ? b : b.reverse()));
    return this;
  }
  u32(v: number): this {
    const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    this.parts.push(...(this.littleEndian ? b : b.reverse()));
    return this;
  }
  u64(v: bigint): this {
    const lo = Number(v & 0xffffffffn);
    const hi = Number((v >> 32n) & 0xffffffffn);
    return this.littleEndian ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  bytes(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.parts.push((b[i] ?? 0) & 0xff);
    return this;
  }
  pad4(): this {
    while (this.parts.length % 4) this.parts.push(0);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  build(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export function concatBytes(...arrays: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

export interface PcapRecordSpec {
  sec: number;
  frac: number;
  data: Uint8Array;
  origLen?: number;
  capLen?: number;
}

/** A classic pcap file: `nanos` picks the a1b23c4d magic, `littleEndian` the byte order. */
export function buildPcap(opts: {
  littleEndian?: boolean;
  nanos?: boolean;
  snaplen?: number;
  linkType?: number;
  records: PcapRecordSpec[];
}): Uint8Array {
  const b = new ByteBuilder(opts.littleEndian ?? true);
  b.u32(opts.nanos ? 0xa1b23c4d : 0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0);
  b.u32(opts.snaplen ?? 262144).u32(opts.linkType ?? 1);
  for (const r of opts.records) {
    b.u32(r.sec).u32(r.frac).u32(r.capLen ?? r.data.length).u32(r.origLen ?? r.data.length).bytes(r.data);
  }
  return b.build();
}

export interface NgOption {
  code: number;
  value: Uint8Array | string;
}

function optionBytes(le: boolean, options: NgOption[] | undefined): Uint8Array {
  if (!options || options.length === 0) return new Uint8Array(0);
  const b = new ByteBuilder(le);
  for (const o of options) {
    const v = typeof o.value === 'string' ? new TextEncoder().encode(o.value) : o.value;
    b.u16(o.code).u16(v.length).bytes(v).pad4();
  }
  b.u16(0).u16(0);
  return b.build();
}

/** One pcapng block with the given body; the two length fields are filled in. */
export function ngBlock(le: boolean, type: number, body: Uint8Array): Uint8Array {
  const total = 12 + ((body.length + 3) & ~3);
  const b = new ByteBuilder(le).u32(type).u32(total).bytes(body).pad4().u32(total);
  return b.build();
}

export function ngSection(le: boolean, options?: NgOption[]): Uint8Array {
  const body = new ByteBuilder(le).u32(0x1a2b3c4d).u16(1).u16(0).u64(-1n & 0xffffffffffffffffn).bytes(optionBytes(le, options)).build();
  return ngBlock(le, 0x0a0d0d0a, body);
}

export function ngInterface(le: boolean, linkType: number, snaplen = 262144, options?: NgOption[]): Uint8Array {
  const body = new ByteBuilder(le).u16(linkType).u16(0).u32(snaplen).bytes(optionBytes(le, options)).build();
  return ngBlock(le, 1, body);
}

export function ngEnhancedPacket(
  le: boolean,
  interfaceId: number,
  timestampUnits: bigint,
  data: Uint8Array,
  opts: { origLen?: number; options?: NgOption[] } = {},
): Uint8Array {
  const b = new ByteBuilder(le)
    .u32(interfaceId)
    .u32(Number((timestampUnits >> 32n) & 0xffffffffn))
    .u32(Number(timestampUnits & 0xffffffffn))
    .u32(data.length)
    .u32(opts.origLen ?? data.length)
    .bytes(data)
    .pad4()
    .bytes(optionBytes(le, opts.options));
  return ngBlock(le, 6, b.build());
}

export function ngSimplePacket(le: boolean, data: Uint8Array, origLen?: number): Uint8Array {
  return ngBlock(le, 3, new ByteBuilder(le).u32(origLen ?? data.length).bytes(data).pad4().build());
}

export function u8(n: number): Uint8Array {
  return Uint8Array.of(n);
}

export function le64(v: bigint): Uint8Array {
  return new ByteBuilder(true).u64(v).build();
}
