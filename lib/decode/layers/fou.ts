import type { LayerBase } from '../types';
import { bareInnerDecoder } from './flannel-udp';

/**
 * Foo-over-UDP (Linux `ip fou add port 5555 ipproto 4`, net/ipv4/fou_core.c): the UDP payload
 * is the inner packet of the protocol the receiving port is configured for, with no header of
 * its own: flannel's UDP backend's wire format, sent by the kernel's fou module for an ipip,
 * sit or gre device with `encap fou`. The port's protocol is not on the wire, so the bytes
 * decide, as flannel-udp.ts says: IPv4 or IPv6 by the version nibble (ipproto 4, 41), or a GRE
 * header (ipproto 47).
 */
export type FouLayer = LayerBase<'fou'>;

export const decodeFou = bareInnerDecoder('fou');
