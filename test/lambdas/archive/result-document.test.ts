import { describe, expect, it } from 'vitest';
import { documentWithReferences } from '../../../lambdas/archive/result-document';

describe('documentWithReferences', () => {
  it('replaces image data at the given paths in a copy and leaves everything else, and the original, untouched', () => {
    const answer = { result: { passed: true, image: 'data:...', audit_images: ['data:a', { image: 'data:b', bounding_box: { x: 1 } }] } };
    const copy = documentWithReferences(answer, [
      { path: ['result', 'image'], value: { archivedKey: 'k/probe.jpg', sha256: 'aa' } },
      { path: ['result', 'audit_images', 0], value: { missing: 'rejected', detail: 'empty' } },
      { path: ['result', 'audit_images', 1, 'image'], value: { archivedKey: 'k/001.png', sha256: 'bb' } },
      { path: ['result', 'not_there'], value: { missing: 'rejected', detail: 'x' } },
    ]);
    expect(copy).toEqual({
      result: {
        passed: true,
        image: { archivedKey: 'k/probe.jpg', sha256: 'aa' },
        audit_images: [{ missing: 'rejected', detail: 'empty' }, { image: { archivedKey: 'k/001.png', sha256: 'bb' }, bounding_box: { x: 1 } }],
      },
    });
    expect(answer.result.image).toBe('data:...');
  });
});
