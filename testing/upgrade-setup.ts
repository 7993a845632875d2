import type { TestProject } from 'vitest/node';
import { ensureBundle } from './bundle';
import servers from './global-setup';
import { previousRelease, releaseBundle, type Release } from './release-bundles';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The release the upgrade test runs beside this checkout, and its production bundle folder. */
    upgradeFrom: Release & { bundleDir: string };
  }
}

/**
 * Global setup of the `upgrade` project: this checkout's bundle (pnpm bundle, when stale), then
 * the servers of every integration test (global-setup.ts) and, at the same time, the previous
 * release's bundle (built from git history once per commit).
 */
export default async function setup(project: TestProject) {
  const log = (line: string) => console.log(`[upgrade] ${line}`);
  const release = previousRelease();
  // This checkout's bundle first (a no-op when fresh, as after scripts/test.sh's bundle step): the
  // planted breaks link its dependencies.
  ensureBundle(log);
  const [teardown, bundleDir] = await Promise.all([servers(project), releaseBundle(release, log)]);
  project.provide('upgradeFrom', { ...release, bundleDir });
  return teardown;
}
