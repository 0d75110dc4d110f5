/** `hopscope fields FILE...`: tshark's columns, one row per frame (see lib/decode/fields.ts). */
import { readCaptureFile } from '../capture/node';
import { CaptureFormatError } from '../capture/errors';
import { captureArgs } from './capture-args';
import { decodePacket } from '../decode/decode-packet';
import { TSHARK_FIELDS, fieldsRow } from '../decode/fields';

export async function fieldsCommand(paths: string[]): Promise<number> {
  const { files, failed: unread } = captureArgs('fields', paths);
  let failed = unread;
  const out: string[] = [TSHARK_FIELDS.join('\t')];
  const flush = () => {
    if (out.length) process.stdout.write(out.join('\n') + '\n');
    out.length = 0;
  };
  for (const file of files) {
    const linkTypes: number[] = [];
    try {
      await readCaptureFile(file, {
        onInterface: (i) => (linkTypes[i.id] = i.linkType),
        onPacket: (r) => {
          const data = r.buf.subarray(r.offset, r.offset + r.capLen);
          out.push(fieldsRow(r, decodePacket(data, linkTypes[r.interfaceId] ?? -1)).join('\t'));
          if (out.length >= 4096) flush();
        },
        onWarning: (w) => process.stderr.write(`hopscope: warning: ${w.message}\n`),
      });
    } catch (e) {
      if (!(e instanceof CaptureFormatError)) throw e;
      failed++;
      process.stderr.write(`hopscope: ${e.message}\n`);
    }
    flush();
  }
  return failed > 0 ? 1 : 0;
}
