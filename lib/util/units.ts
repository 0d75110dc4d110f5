/**
 * Units as branded numbers, so a microsecond or a raw capture clock never passes for a corrected
 * nanosecond at a module boundary. Inside a hot loop plain numbers are fine; brand them where
 * they leave the module.
 */

/** Nanoseconds as a plain number where the value is known to fit 2^53 (durations, offsets). */
export type Nanoseconds = number & { readonly __unit: 'ns' };

export function ns(n: number): Nanoseconds {
  return n as Nanoseconds;
}

/** `ns` after the instant `sec`.`nsec`, as whole seconds and nanoseconds (a capture's base plus an offset). */
export function addNs(sec: number, nsec: number, ns: number): [number, number] {
  const total = nsec + ns;
  const carry = Math.floor(total / 1e9);
  return [sec + carry, Math.round(total - carry * 1e9)];
}
