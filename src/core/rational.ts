/** Exact ratios: frame rates and time bases. */
export interface Rational {
  num: number;
  den: number;
}

/** value (in units of `from`) expressed in units of `to`, rounded to the nearest integer. */
export function rescale(value: number, from: Rational, to: Rational): number {
  if (from.num === to.num && from.den === to.den) return value;
  return Math.round((value * from.num * to.den) / (from.den * to.num));
}

export const sameRational = (a: Rational, b: Rational): boolean => a.num * b.den === b.num * a.den;
