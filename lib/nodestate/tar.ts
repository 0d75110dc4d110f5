/**
 * The entries of a tar archive (POSIX ustar, with GNU long names), as `tar -czf` writes the
 * capture kit's bundle; gzip is the caller's. Only regular files are returned. A header whose
 * checksum is wrong, or an entry running past the end, is an error naming the byte offset.
 */
const BLOCK = 512;

export class TarFormatError extends Error {
  override name = 'TarFormatError';
}

const text = (b: Uint8Array, at: number, len: number) => {
  let end = at;
  while (end < at + len && b[end] !== 0) end++;
  return new TextDecoder().decode(b.subarray(at, end));
};
const octal = (b: Uint8Array, at: number, len: number) => {
  const s = text(b, at, len).trim() || '0';
  return /^[0-7]+$/.test(s) ? parseInt(s, 8) : NaN;
};

export function untar(bytes: Uint8Array, fileName: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let at = 0;
  let longName: string | null = null;
  while (at + BLOCK <= bytes.length) {
    const h = bytes.subarray(at, at + BLOCK);
    if (h.every((x) => x === 0)) break;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    if (sum !== octal(h, 148, 8)) throw new TarFormatError(`${fileName}: not a tar archive, or corrupt: bad header checksum at byte ${at}`);
    const size = octal(h, 124, 12);
    if (!Number.isSafeInteger(size)) throw new TarFormatError(`${fileName}: entry at byte ${at} has no valid size`);
    const type = String.fromCharCode(h[156] || 48);
    const prefix = text(h, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${text(h, 0, 100)}` : text(h, 0, 100));
    const start = at + BLOCK;
    if (start + size > bytes.length) throw new TarFormatError(`${fileName}: entry ${name} at byte ${at} runs past the end of the archive (${size} bytes)`);
    const data = bytes.subarray(start, start + size);
    longName = null;
    if (type === 'L') longName = text(data, 0, size);
    else if (type === '0' || type === '7') out.set(name.replace(/^\.\//, ''), data);
    at = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return out;
}
