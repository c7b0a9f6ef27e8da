/**
 * Serving answers scripts: each answer rendered to the exact status, headers and bytes sent (placeholders filled
 * in), and the status reply for one request: request n gets answer n, the last answer repeats forever.
 */
import { z } from 'zod';
import type { ProviderName } from '../../lambdas/checks/check-status';
import { answersScriptSchema, type AnswersScript, type ParsedAnswer } from './answers-script';
import { AnswerPlaceholderError, InvalidScriptError } from './errors';
import type { Reply } from './http';
import { bufferSource } from './images';
import type { AnswersCheck } from './state';

export interface ServedAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** The check's ids, for scripts that let the server generate them. */
export interface AnswerIds {
  checkId?: string;
  /** KYC only. */
  clientKey?: string;
}

interface PlaceholderValues extends AnswerIds {
  baseUrl: string;
}

const PLACEHOLDER = /\{\{(baseUrl|checkId|clientKey)\}\}/g;
const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Inside JSON text a placeholder can only sit in a string, so its value is escaped as string content. */
const jsonStringContent = (value: string) => JSON.stringify(value).slice(1, -1);

/**
 * One answer as sent. `{{baseUrl}}`, `{{checkId}}` and `{{clientKey}}` are replaced in the text (JSON.stringify of
 * `body`, or `text`); `{{clientKey}}` outside KYC stays as written, having no value there.
 */
export function renderAnswer(answer: ParsedAnswer, provider: ProviderName, values: PlaceholderValues): ServedAnswer {
  const fill = (template: string, escape: (value: string) => string) =>
    template.replace(PLACEHOLDER, (match, name: keyof PlaceholderValues) => {
      if (name === 'clientKey' && provider !== 'kyc') return match;
      const value = values[name];
      if (value === undefined) throw new AnswerPlaceholderError(`an answer uses {{${name}}} but no ${name} was given: pass the created check's ids`);
      return escape(value);
    });
  let text: string | undefined;
  if (answer.body !== undefined) text = fill(JSON.stringify(answer.body), jsonStringContent);
  else if (answer.text !== undefined) text = fill(answer.text, (value) => value);
  const contentType = answer.contentType ?? (text === undefined ? undefined : JSON_CONTENT_TYPE);
  return {
    status: answer.status,
    headers: { ...(contentType === undefined ? {} : { 'content-type': contentType }), ...answer.headers },
    body: Buffer.from(text ?? '', 'utf8'),
  };
}

/**
 * What the fake providers send for status request `index` (0-based, counting every request that reached the
 * check) of a check created from `script` on a server at `baseUrl`. Pure: tests compare archived bytes with it.
 * `ids` supplies the check's ids when the script let the server generate them (the result of `addCheck`).
 */
export function servedAnswer(script: AnswersScript, index: number, baseUrl: string, ids: AnswerIds = {}): ServedAnswer {
  if (!Number.isSafeInteger(index) || index < 0) throw new RangeError('index must be a non-negative integer');
  const parsed = answersScriptSchema.safeParse(script);
  if (!parsed.success) throw new InvalidScriptError(`invalid answers script: ${z.prettifyError(parsed.error)}`);
  const { provider, answers, checkId } = parsed.data;
  const clientKey = parsed.data.provider === 'kyc' ? (ids.clientKey ?? parsed.data.clientKey) : undefined;
  const answer = answers[Math.min(index, answers.length - 1)]!;
  return renderAnswer(answer, provider, { baseUrl: baseUrl.replace(/\/+$/, ''), checkId: ids.checkId ?? checkId, clientKey });
}

/** The body bytes of `servedAnswer`. */
export function answerBytes(script: AnswersScript, index: number, baseUrl: string, ids: AnswerIds = {}): Buffer {
  return servedAnswer(script, index, baseUrl, ids).body;
}

/** Answers one status request that reached an answers check (auth and lookup already done by the handler). */
export function serveAnswer(check: AnswersCheck): Reply {
  const served = check.served[Math.min(check.requests, check.served.length - 1)]!;
  check.requests += 1;
  return { status: served.status, headers: { ...served.headers }, body: served.body.length ? bufferSource(served.body) : undefined };
}
