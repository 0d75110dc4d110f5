/** What the traffic sees of the simulation: time, randomness, the network and a packet buffer. */
import type { Endpoint } from './cluster';
import { EPHEMERAL_HIGH, EPHEMERAL_LOW } from './cluster';
import type { IpIds, Network } from './sim';
import type { Packet } from './wire';

export interface World {
  readonly rand: () => number;
  /** The current event's time: true time, ns since the captures started. */
  readonly now: number;
  /** The packet budget is spent: start nothing new, finish what is under way. */
  readonly draining: boolean;
  /** Runs `fn` at `t` (never before now). */
  at(t: number, fn: () => void): void;
  readonly net: Network;
  /** The one packet buffer every sender fills and the network renders from. */
  readonly packet: Packet;
  readonly ids: IpIds;
  /** `t` on `ep`'s own clock (its node's, for pods and nodes). */
  clockNs(ep: Endpoint, t: number): number;
  /** Seconds since the Unix epoch at capture start, for payloads that carry the time. */
  readonly epochSec: number;
}

export const US = 1000;
export const MS = 1_000_000;
export const S = 1_000_000_000;

export function randInt(rand: () => number, low: number, high: number): number {
  return low + Math.floor(rand() * (high - low + 1));
}

export function pick<T>(rand: () => number, items: readonly T[]): T {
  const item = items[Math.floor(rand() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

/** An exponentially distributed wait with the given mean (Poisson arrivals). */
export function exponential(rand: () => number, mean: number): number {
  return -Math.log(1 - rand()) * mean;
}

/** A size between low and high, mostly near low (log-uniform). */
export function logUniform(rand: () => number, low: number, high: number): number {
  return Math.round(Math.exp(Math.log(low) + rand() * (Math.log(high) - Math.log(low))));
}

export function ephemeralPort(rand: () => number): number {
  return randInt(rand, EPHEMERAL_LOW, EPHEMERAL_HIGH);
}
