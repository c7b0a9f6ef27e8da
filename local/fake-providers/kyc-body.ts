/** The KYC session status body, as documented: session fields plus document / selfie / faces task results. */
import { seededRandom } from './images/prng';
import { selfieDocumentThumb } from './kyc-layout';
import type { Snapshot } from './lifecycle';
import type { FakeState, KycCheck, KycTaskLayout } from './state';

const SURNAMES = ['IVANOVA', 'MUELLER', 'DUBOIS', 'SMITH', 'ROSSI', 'NOVAK', 'GARCIA', 'KOWALSKI'];
const GIVEN_NAMES = ['ANNA', 'JOHN', 'MARIE', 'LUCA', 'EVA', 'PAVEL', 'SOFIA', 'JAN'];
const DOCUMENTS = [
  ['Passport (2006)', 'RUS'],
  ['ePassport (2005-2008)', 'DEU'],
  ['ID card (2014)', 'FRA'],
  ['Driving licence (2015)', 'GBR'],
] as const;

const iso = (ms: number) => new Date(ms).toISOString();
const round3 = (n: number) => Math.round(n * 1000) / 1000;

/** Deterministic fake personal data per session (plausible, never real). */
function personOf(check: KycCheck) {
  const next = seededRandom(`${check.checkId}:person`);
  const pick = <T>(list: readonly T[]) => list[next() % list.length]!;
  const [docName, countryCode] = pick(DOCUMENTS);
  const year = 1950 + (next() % 55);
  const pad = (n: number) => String(n).padStart(2, '0');
  return {
    surname: pick(SURNAMES),
    givenName: pick(GIVEN_NAMES),
    dateOfBirth: `${pad(1 + (next() % 28))}.${pad(1 + (next() % 12))}.${year}`,
    documentNumber: String(100000000 + (next() % 899999999)),
    sex: next() % 2 ? 'F' : 'M',
    docName,
    countryCode,
    email: `client${(next() % 100000).toString().padStart(5, '0')}@example.test`,
    wallet: `0x${Array.from({ length: 5 }, () => next().toString(16).padStart(8, '0')).join('')}`,
  };
}

type Person = ReturnType<typeof personOf>;

function documentResult(task: KycTaskLayout, person: Person, startedAt: number, spent: number, history: History) {
  const failed = task.status === 'failed';
  return {
    status: task.status,
    type: 'document',
    spent,
    errors: failed ? ['[document] unknown document type'] : [],
    docName: person.docName,
    tries: task.history.length + 1,
    startedAt: iso(startedAt),
    isBackSide: false,
    countryCode: person.countryCode,
    checks: [
      {
        caption: 'fraud',
        items: [
          { status: 'success', caption: 'isMRZValid', confidence: 0.998 },
          { status: 'success', caption: 'isPrinted', confidence: 1 },
          { status: failed ? 'failed' : 'success', caption: 'isEdited', confidence: failed ? 0.931 : 0.001 },
          { status: 'success', caption: 'isDisplay', confidence: 0.938 },
          { status: 'success', caption: 'isXerocopy', confidence: 0.012 },
        ],
      },
    ],
    ocr: {
      status: failed ? 'failed' : 'success',
      fields: [
        { title: 'Surname', value: person.surname, conf: 'high' },
        { title: 'Given name(s)', value: person.givenName, conf: 'high' },
        { title: 'Date of birth', value: person.dateOfBirth, conf: 'high' },
        { title: 'Document number', value: person.documentNumber, conf: 'medium' },
        { title: 'Sex', value: person.sex, conf: 'high' },
      ],
    },
    images: task.images,
    imagesFull: task.imagesFull,
    imageObjects: task.imageObjects,
    ...history,
  };
}

function selfieResult(task: KycTaskLayout, person: Person, startedAt: number, spent: number, history: History) {
  const failed = task.status === 'failed';
  return {
    status: task.status,
    type: 'selfie',
    spent,
    errors: failed ? ['[selfie] face not found'] : [],
    docName: person.docName,
    tries: task.history.length + 1,
    startedAt: iso(startedAt),
    withDoc: [person.docName],
    checks: [
      {
        caption: 'fraud',
        items: [
          { status: failed ? 'failed' : 'success', caption: 'isFaceDeepFake' },
          { status: 'success', caption: 'isAgeMismatch', value: 3 },
          { status: 'success', caption: 'isDisplaySelfie', confidence: 0.991 },
          { status: 'success', caption: 'isGenderMismatch', value: person.sex === 'F' ? 'female' : 'male' },
        ],
      },
    ],
    faceSelfie: task.faceSelfie,
    faceDoc: task.faceDoc,
    images: task.images,
    imagesFull: task.imagesFull,
    ...history,
  };
}

type History = ReturnType<typeof historyOf>;

/** Earlier failed tries of a task (tries > 1), each with its own images, dated within the slot before it. */
function historyOf(task: KycTaskLayout, startedAt: number, slot: number) {
  if (task.history.length === 0) return {};
  const error = task.type === 'document' ? '[document] image is blurred' : '[selfie] eyes closed';
  const step = slot / (task.history.length + 1);
  return {
    history: task.history.map((attempt, i) => ({
      status: 'failed',
      type: task.type,
      tries: i + 1,
      startedAt: iso(startedAt - step * (task.history.length - i)),
      spent: 0.9,
      errors: [error],
      images: attempt.images,
      imagesFull: attempt.imagesFull,
    })),
  };
}

function facesResult(state: FakeState, check: KycCheck, documents: KycTaskLayout[], selfies: KycTaskLayout[]) {
  const items = documents.flatMap((doc, d) =>
    selfies.flatMap((selfie, s) => [
      { status: 'success', caption: `${doc.name} & ${selfie.name}`, value: `${90 - d - s}%`, images: [doc.thumb, selfie.thumb] },
      {
        status: 'success',
        caption: `${doc.name} & ${selfie.name}_document`,
        value: `${96 - d - s}%`,
        images: [doc.thumb, selfieDocumentThumb(state, check, selfie)],
      },
    ]),
  );
  return { status: 'success', type: 'faces', spent: 0.003, errors: [], checks: [{ caption: 'Face matching', items }] };
}

/** The full body for one answer at simulated time `now`. */
export function kycSessionBody(state: FakeState, check: KycCheck, snapshot: Snapshot, now: number) {
  const { script } = check;
  const person = personOf(check);
  const elapsedSeconds = (now - check.createdAt) / 1000;
  const session = {
    sessionId: check.checkId,
    errors: [] as string[],
    schemaId: check.schemaId,
    clientId: check.clientId,
    spent: 0,
    createdAt: iso(check.createdAt),
    isClientNew: check.isClientNew,
    clientKey: check.clientKey,
    clientUser: '',
    secondsToLive: Math.max(0, Math.ceil(script.ttlSeconds - elapsedSeconds)),
    responseTime: iso(now),
    results: [] as unknown[],
    email: person.email,
    wallet: person.wallet,
  };
  if (!snapshot.terminal) {
    return { status: snapshot.answersBefore === 0 ? 'idle' : 'processing', ...session, spent: round3(Math.max(0, elapsedSeconds)) };
  }
  switch (script.outcome) {
    case 'expired':
      return { status: 'expired', ...session, secondsToLive: 0 };
    case 'exception':
      return { status: 'exception', ...session, errors: ['[system] internal processing error'] };
    case 'not-found': // answered before the body is built
    case 'success':
    case 'failed': {
      // Tasks (and their earlier tries) are spread between the session's creation and its outcome.
      const next = seededRandom(`${check.checkId}:timing`);
      const slot = Math.max(0, check.terminalAt! - check.createdAt) / (check.tasks.length + 1);
      const results: unknown[] = check.tasks.map((task, i) => {
        const spent = round3(0.1 + (next() % 2000) / 1000);
        const startedAt = check.createdAt + slot * (i + 1);
        const history = historyOf(task, startedAt, slot);
        return task.type === 'document'
          ? documentResult(task, person, startedAt, spent, history)
          : selfieResult(task, person, startedAt, spent, history);
      });
      const documents = check.tasks.filter((t) => t.type === 'document');
      const selfies = check.tasks.filter((t) => t.type === 'selfie');
      if (documents.length && selfies.length) results.push(facesResult(state, check, documents, selfies));
      const spent = round3(results.reduce<number>((sum, r) => sum + (r as { spent: number }).spent, 0));
      const failed = script.outcome === 'failed' || check.tasks.some((t) => t.status === 'failed');
      return { status: failed ? 'failed' : 'success', ...session, spent, results };
    }
  }
}
