/**
 * The few path operations the scoring path needs, on POSIX paths, without node:path: importing any node: module
 * costs `av1gym vmaf` several ms of start-up and MBs of RSS (measured: node:path +4 ms and +3 MB, node:fs +10 ms
 * and +5 MB over a script that imports nothing), so the CLI's VMAF path imports none.
 */

/** `p` without its last `levels` components (`p` absolute and normalised, as import.meta.dir). */
export function parentDir(p: string, levels = 1): string {
  let s = p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
  for (let i = 0; i < levels; i++) {
    const k = s.lastIndexOf("/");
    s = k > 0 ? s.slice(0, k) : k === 0 ? "/" : ".";
  }
  return s;
}

/** Joins path components with "/" (no normalisation). */
export const joinPath = (...parts: string[]): string => parts.join("/").replaceAll("//", "/");

/** The last component of `p`. */
export function baseName(p: string): string {
  const s = p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
  return s.slice(s.lastIndexOf("/") + 1);
}

/** The extension of `p`'s last component, with its dot (as node:path's extname: "" for ".bashrc" or "a"). */
export function extName(p: string): string {
  const b = baseName(p);
  const k = b.lastIndexOf(".");
  return k > 0 ? b.slice(k) : "";
}
