import { describe, expect, it } from 'vitest';
import { fromFileList } from './drop-files';

describe('fromFileList', () => {
  it('orders the files as the CLI orders a folder (code unit by code unit), which breaks ties between captures', () => {
    const names = ['node2-eth0.pcap', 'node1_cni0.pcap', 'Node3-eth0.pcap', 'node1-eth0.pcap'];
    const picked = fromFileList(names.map((n) => new File([], n)));
    // The CLI: readdirSync(dir).sort(). localeCompare would put node1_cni0 before node1-eth0 and Node3 last.
    expect(picked.files.map((f) => f.name)).toEqual([...names].sort());
    expect(picked.files.map((f) => f.name)).toEqual(['Node3-eth0.pcap', 'node1-eth0.pcap', 'node1_cni0.pcap', 'node2-eth0.pcap']);
  });

  it('keeps only captures and links files from a folder, by their paths in it', () => {
    const inFolder = (path: string) => Object.assign(new File([], path.split('/').pop()!), { webkitRelativePath: path });
    const picked = fromFileList([inFolder('lab/node1-eth0.pcap'), inFolder('lab/scenario.json'), inFolder('lab/node1-links.txt')]);
    expect(picked.files.map((f) => f.name)).toEqual(['lab/node1-eth0.pcap', 'lab/node1-links.txt']);
    expect(picked.skipped).toEqual(['lab/scenario.json']);
  });
});
