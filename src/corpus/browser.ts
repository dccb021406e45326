/**
 * The system's Chromium (Debian's `chromium` package), driven headless through playwright-core: never a
 * browser download. Used to screenshot the corpus report and, in tests, to load it as a person's browser
 * would.
 */
import { existsSync } from "node:fs";
import { FileError } from "../core/errors";

export const CHROMIUM_CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];

/** The browser executable: $AV1GYM_CHROMIUM, else the first system Chromium found; null when none is. */
export function chromiumPath(): string | null {
  const env = process.env.AV1GYM_CHROMIUM;
  if (env) return existsSync(env) ? env : null;
  return CHROMIUM_CANDIDATES.find((p) => existsSync(p)) ?? null;
}

export async function launchChromium() {
  const exe = chromiumPath();
  if (!exe)
    throw new FileError(
      `no Chromium found (looked at $AV1GYM_CHROMIUM and ${CHROMIUM_CANDIDATES.join(", ")}): install it (Debian: apt-get install chromium)`,
    );
  const { chromium } = await import("playwright-core");
  return chromium.launch({ executablePath: exe, headless: true, args: ["--no-sandbox"] });
}

/** A full-page PNG of an HTML file. */
export async function screenshotHtml(htmlPath: string, pngPath: string, width = 1240): Promise<void> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    await page.goto(`file://${htmlPath}`);
    await page.screenshot({ path: pngPath, fullPage: true });
  } finally {
    await browser.close();
  }
}
