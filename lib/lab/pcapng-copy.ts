/**
 * Merge a scenario's per-interface pcap files into one pcapng, one Interface Description Block
 * per capture point named `<node>/<interface>`, packets in timestamp order. mergecap would merge
 * identical interfaces into one and leaves them unnamed, which loses the point of the copy.
 */
import { concatBytes, ngEnhancedPacket, ngInterface, ngSection } from '../capture/build';
import { readCaptureFile } from '../capture/node';

const OPT_SHB_USERAPPL = 4;
const OPT_IF_NAME = 2;
const OPT_IF_DESCRIPTION = 3;
const OPT_IF_TSRESOL = 9;

export interface PcapngInput {
  path: string;
  name: string;
  description: string;
}

interface Pkt {
  iface: number;
  ns: bigint;
  data: Uint8Array;
  origLen: number;
  order: number;
}

/** The pcapng bytes; timestamps in nanoseconds (if_tsresol 9) so no input loses precision. */
export async function mergeToPcapng(inputs: PcapngInput[], userAppl = 'hopscope lab'): Promise<{ bytes: Uint8Array; packets: number }> {
  const le = true;
  const blocks: Uint8Array[] = [ngSection(le, [{ code: OPT_SHB_USERAPPL, value: userAppl }])];
  const pkts: Pkt[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i]!;
    let linkType = -1;
    let snaplen = 262144;
    await readCaptureFile(input.path, {
      onInterface(iface) {
        if (linkType < 0) {
          linkType = iface.linkType;
          snaplen = iface.snaplen;
        }
      },
      onPacket(rec) {
        pkts.push({
          iface: i,
          ns: BigInt(rec.tsSec) * 1_000_000_000n + BigInt(rec.tsNsec),
          data: rec.buf.slice(rec.offset, rec.offset + rec.capLen),
          origLen: rec.origLen,
          order: pkts.length,
        });
      },
    });
    blocks.push(
      ngInterface(le, linkType < 0 ? 1 : linkType, snaplen, [
        { code: OPT_IF_NAME, value: input.name },
        { code: OPT_IF_DESCRIPTION, value: input.description },
        { code: OPT_IF_TSRESOL, value: Uint8Array.of(9) },
      ]),
    );
  }
  pkts.sort((a, b) => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : a.order - b.order));
  for (const p of pkts) blocks.push(ngEnhancedPacket(le, p.iface, p.ns, p.data, { origLen: p.origLen }));
  return { bytes: concatBytes(...blocks), packets: pkts.length };
}
