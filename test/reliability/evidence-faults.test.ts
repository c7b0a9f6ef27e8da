/**
 * Evidence that is bad, hostile or gone — malformed base64 frames, wrong content types and magic bytes, oversized
 * images, redirects off the allowlist, image URLs to the metadata service, the runtime API, private ranges and
 * loopback names, images that vanished before archiving — through the local stack: every check is archived with what
 * could be had, and its record says what is missing and why; nothing hostile is fetched.
 *
 * Local mode allows the fake providers' loopback host (DOWNLOAD_ALLOW_PRIVATE_ADDRESSES=true for 127.0.0.1): the
 * refusals here come from the allowlist, the scheme and the always-forbidden link-local range. The private-address
 * refusal under the deployed policy is shown in guards.test.ts.
 */
import { expect } from 'vitest';
import type { ScenarioFigures } from '../../local/reliability/figures';
import { buildScenario } from '../../local/reliability/scenarios';
import { describeReliability } from './support';

/**
 * All checks archived-partial (but `archived` whole ones), missing images for `reasons` only, and items kept in
 * quarantine for `quarantined` reasons only.
 */
const partial = (reasons: string[], archived = 0, quarantined: string[] = []) => (f: ScenarioFigures) => {
  expect(f.statuses).toEqual({ 'archived-partial': f.checks - archived, ...(archived ? { archived } : {}) });
  expect(Object.keys(f.missing).sort()).toEqual([...reasons].sort());
  expect(Object.keys(f.quarantined ?? {}).sort()).toEqual([...quarantined].sort());
};

describeReliability({
  name: 'evidence-faults',
  source: 'test/reliability/evidence-faults.test.ts',
  scenarios: [
    () => buildScenario('malformed base64 frames', 6, 611),
    () => buildScenario('wrong content types and magic bytes', 8, 612),
    () => buildScenario('oversized images', 4, 613),
    () => buildScenario('redirects off the allowlist', 9, 614),
    () => buildScenario('image URLs to internal addresses', 10, 615),
    () => buildScenario('images vanished before archiving', 8, 616),
  ],
  expectations: {
    // Nothing the provider sent is thrown away: bad frames and images are kept as received, in quarantine.
    'malformed base64 frames': partial([], 0, ['invalid-base64']),
    'wrong content types and magic bytes': partial([], 0, ['content-type-not-allowed', 'magic-mismatch', 'media-type-not-allowed']),
    'oversized images': partial([], 0, ['too-large']),
    // Every third is a redirect chain within the allowlist: archived whole.
    'redirects off the allowlist': partial(['refused'], 3),
    'image URLs to internal addresses': partial(['refused']),
    'images vanished before archiving': partial(['window-passed', 'download-failed']),
  },
});
