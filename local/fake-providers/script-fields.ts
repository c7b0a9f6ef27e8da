/** Id and label fields shared by lifecycle scripts (script.ts) and answers scripts (answers-script.ts). */
import { z } from 'zod';
import { isUuidV1 } from './ids';

export const labelField = z.string().min(1).max(200);
/** Liveness token; random (crypto) by default. */
export const livenessIdField = z.string().regex(/^[\w.~-]{1,200}$/);
/** KYC sessionId: the API only looks sessions up by a UUID v1; generated from the creation time by default. */
export const kycSessionIdField = z.string().refine(isUuidV1, 'must be a UUID v1');
/** KYC clientKey, as documented: non-empty, at most 36 characters; client_<hex> by default. */
export const clientKeyField = z.string().min(1).max(36);
/** Verification id; ver_<16 hex> by default. */
export const verificationIdField = z.string().regex(/^[\w-]{1,128}$/);
