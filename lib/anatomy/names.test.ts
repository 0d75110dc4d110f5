import { describe, expect, it } from 'vitest';
import { OPAQUE_TUNNELS } from '../protocols/opaque';
import { OVERLAYS } from '../protocols/overlays';
import { port } from './names';

describe('port names in the anatomy', () => {
  it('name every encapsulation port the registry knows, opened or only named', () => {
    for (const t of [...OVERLAYS, ...OPAQUE_TUNNELS]) for (const p of t.udpPorts) expect(port(p), `${t.name} ${p}`).toMatch(new RegExp(`^${p} \\(.+\\)$`));
    expect(port(4790)).toBe('4790 (VXLAN-GPE)');
    expect(port(5555)).toBe('5555 (FOU or GUE)');
    expect(port(51821)).toBe('51821 (WireGuard)');
    expect(port(6783)).toBe('6783 (Weave Net)');
  });

  it('keep the well-known names before the registry’s, and leave an unknown port bare', () => {
    expect(port(8472)).toBe('8472 (VXLAN, Linux/flannel)');
    expect(port(53)).toBe('53 (DNS)');
    expect(port(12345)).toBe('12345');
  });
});
