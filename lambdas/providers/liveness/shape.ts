/**
 * What the liveness document says an answer holds (liveness-check-result.txt, "Available Response Data"): read by
 * ../lenient.ts to notice values that cannot be interpreted. Images are not read here: the archive takes each one in
 * whatever form it comes (a data URI, raw base64, an object around either).
 */
import type { Shape } from '../lenient';

export const LIVENESS_BODY: Shape = {
  object: {
    status: 'text',
    result: {
      object: {
        passed: 'boolean',
        confidence: 'number',
        threshold: 'number',
        checked_at: 'time',
      },
    },
  },
};
