/** How an argument is shown in error messages: its type when that is the problem ("3" is a string, not 3). */
export function describeValue(x: unknown): string {
  if (x === null) return "null";
  if (x === undefined) return "undefined";
  if (typeof x === "string") return `${JSON.stringify(x.length > 40 ? x.slice(0, 40) + "…" : x)} (a string)`;
  if (typeof x === "number") return String(x);
  if (typeof x === "bigint") return `${x}n (a bigint)`;
  if (typeof x === "boolean") return `${x} (a boolean)`;
  if (typeof x === "function") return "a function";
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (ArrayBuffer.isView(x)) return `a ${x.constructor.name} of ${(x as unknown as ArrayLike<number>).length}`;
  return typeof x === "object" ? `an object (${(x as object).constructor?.name ?? "no prototype"})` : typeof x;
}
