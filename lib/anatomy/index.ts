/** Packet anatomy: layers and fields to scale, the same packet compared across stations, MTU arithmetic. */
export { packetAnatomy, fieldOf, fieldNumber, type AnatomyOptions } from './anatomy';
export { layerFields, layerTitle } from './fields';
export { icmpTypeName } from './names';
export { diffStations, ABSENT, type DiffOptions } from './diff';
export { mtuArithmetic, type Overlay } from './mtu';
export { transportChecksum, ipv4HeaderChecksum, formatChecksum, type ChecksumStatus } from './checksum';
export type * from './types';
