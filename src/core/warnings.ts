/**
 * Warnings for settings that work but do not do what a user expects: Node's process warnings (type
 * "Av1GymWarning", a stable code), each code once per process, so a loop that builds many Envs is not flooded.
 * `process.on("warning", …)` sees them; `--no-warnings` silences them.
 */
const emitted = new Set<string>();

export function warnOnce(code: string, message: string): void {
  if (emitted.has(code)) return;
  emitted.add(code);
  process.emitWarning(message, { type: "Av1GymWarning", code });
}
