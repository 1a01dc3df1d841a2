/**
 * Headless Chromium for the dashboard's tests and screenshots: Debian's `chromium` (installed by
 * .ci/run), driven by playwright-core — never a browser Playwright downloads. A new empty profile
 * per launch, and no background networking (this machine reaches nothing but loopback).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const chromiumPath = process.env.KVORUM_CHROMIUM ?? '/usr/bin/chromium';

export async function launchBrowser(viewport = { width: 1400, height: 1000 }): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath}: apt-get install chromium (.ci/run does), or set KVORUM_CHROMIUM`);
  const profile = mkdtempSync(join(tmpdir(), 'kvorum-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
