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
