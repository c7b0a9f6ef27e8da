/** What the content-verification document shows an answer holding (content-verification.txt), for ../lenient.ts. */
import type { Shape } from '../lenient';

export const VERIFICATION_BODY: Shape = {
  object: {
    id: 'text',
    status: 'text',
    content: 'text',
    verdict: 'text',
    confidence: 'number',
    decision: 'text',
    reasoning: 'text',
    paradigmResults: {
      array: {
        object: {
          id: 'text',
          paradigm: 'text',
          verdict: 'text',
          confidence: 'number',
          reasoning: 'text',
          provider: 'text',
          model: 'text',
          processingTimeMs: 'number',
        },
      },
    },
    processingTimeMs: 'number',
    costCents: 'number',
    createdAt: 'time',
    completedAt: 'time',
    escalation: {
      object: { id: 'text', reason: 'text', priority: 'text', deadline: 'time', status: 'text' },
    },
  },
};
