import { type Browser, chromium } from "playwright-core";

/**
 * Debian's headless Chromium for the browser tests: where it is, whether a
 * test may skip for want of it, and how it is launched.
 */
const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";
const hasChromium = await Deno.stat(CHROMIUM).then(() => true, () => false);

/** On CI a missing browser is a failure, not a skip: .ci/run installs it. */
export const noChromium = !hasChromium && Deno.env.get("CI") !== "true";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}
