/**
 * A provider's webhook receiver settings (cdk.json `webhooks.<provider>`, handed to the function as WEBHOOKS). The
 * provider documents define no payload, so where the check id sits is configured; the signature scheme too.
 */
import { z } from 'zod';
import { PROVIDERS, type ProviderName } from '../checks/check-status';
import { DEFAULT_TOLERANCE_SECONDS, SIGNATURE_SCHEMES } from './signature';

/** `$.data.id`, `data.id`, `items[0].id`: object keys and array indexes only. */
const JSON_PATH = /^(\$\.)?[A-Za-z_][\w-]*(\[\d+\])*(\.[A-Za-z_][\w-]*(\[\d+\])*)*$/;

export const webhookSettingsSchema = z
  .object({
    /** Off by default: no route, no wake-ups; the loop only polls. */
    enabled: z.boolean().default(false),
    /** `standard-webhooks` (webhook-id/-timestamp/-signature) or `x-signature` (HMAC-SHA256 of the body). */
    scheme: z.enum(SIGNATURE_SCHEMES).default('standard-webhooks'),
    /** Where the check id is in the JSON body. @default '$.data.id' (the Standard Webhooks payload shape: type, timestamp, data) */
    checkIdPath: z.string().regex(JSON_PATH, 'must be a path such as $.data.id').default('$.data.id'),
    /** How far webhook-timestamp may be from now, either way (Standard Webhooks). @default 300 */
    toleranceSeconds: z.number().int().min(30).max(3_600).default(DEFAULT_TOLERANCE_SECONDS),
    /** Larger bodies are refused unread (413). @default 65536 */
    maxBodyBytes: z.number().int().min(1_024).max(1_048_576).default(65_536),
  })
  .strict();

export type WebhookSettings = z.output<typeof webhookSettingsSchema>;

export const webhooksSchema = z.partialRecord(z.enum(PROVIDERS), webhookSettingsSchema).default({});
export type WebhooksConfig = Partial<Record<ProviderName, WebhookSettings>>;

/** The providers whose receiver is on. */
export function enabledWebhookProviders(config: WebhooksConfig): ProviderName[] {
  return PROVIDERS.filter((provider) => config[provider]?.enabled === true);
}

/** The value at `path` in `body`, or undefined. */
export function valueAt(body: unknown, path: string): unknown {
  const steps = path.replace(/^\$\./, '').match(/[^.[\]]+|\[\d+\]/g) ?? [];
  let value: unknown = body;
  for (const step of steps) {
    if (value === null || typeof value !== 'object') return undefined;
    if (step.startsWith('[')) {
      if (!Array.isArray(value)) return undefined;
      value = value[Number(step.slice(1, -1))];
    } else {
      if (Array.isArray(value) || !Object.hasOwn(value, step)) return undefined;
      value = (value as Record<string, unknown>)[step];
    }
  }
  return value;
}
