/**
 * What the KYC document says a session answer holds (kyc-session-status.txt, "Description of response fields" and
 * the task tables), for ../lenient.ts. Links are not read here: the archive follows each one it finds.
 */
import type { Shape } from '../lenient';

const checkGroups: Shape = {
  array: {
    object: {
      caption: 'text',
      items: { array: { object: { status: 'text', caption: 'text', confidence: 'number', value: 'text' } } },
    },
  },
};

const taskFields = {
  status: 'text',
  type: 'text',
  spent: 'number',
  docName: 'text',
  tries: 'number',
  startedAt: 'time',
  isBackSide: 'boolean',
  countryCode: 'text',
  checks: checkGroups,
  ocr: { object: { status: 'text', fields: { array: { object: { title: 'text', value: 'text', conf: 'text' } } } } },
} as const satisfies Record<string, Shape>;

/** A task; its `history` holds earlier attempts of the same shape. */
export const KYC_TASK: Shape = { object: { ...taskFields, history: { array: { object: taskFields } } } };

export const KYC_SESSION: Shape = {
  object: {
    status: 'text',
    sessionId: 'text',
    schemaId: 'text',
    clientId: 'text',
    spent: 'number',
    createdAt: 'time',
    isClientNew: 'boolean',
    clientKey: 'text',
    clientUser: 'text',
    secondsToLive: 'number',
    responseTime: 'time',
    results: { array: KYC_TASK },
    email: 'text',
    wallet: 'text',
  },
};
