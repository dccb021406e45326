/**
 * Awaits a rejection and returns its reason. Bun 1.4.5's `await expect(p).rejects` hung on a promise settled
 * by a Worker message, so tests of Worker-backed objects await the promise itself.
 */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}
