/**
 * The archive a command reads: a deployed stack (table and bucket from flags or AUDIT_ARCHIVER_TABLE /
 * AUDIT_ARCHIVER_BUCKET, the caller's own AWS credentials) or, when none is named, the local archive `npm start`
 * writes (.archive/ in the repository: s3rver files and dynalite's LevelDB, opened through the same emulators).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { auditDeps, type AuditDeps } from '../../lambdas/audit';
import { createS3Client } from '../../lambdas/archive/s3-store';
import { ConfigurationError } from '../../lambdas/common/errors';
import { createDynamoDocumentClient } from '../../lambdas/records/record-store';
import { IdentifierKey } from '../../lambdas/checks/check-ref';
import { fixedIdentifierKey, secretIdentifierKey, type IdentifierKeySource } from '../../lambdas/common/identifier-key';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { localIdentifierKey } from '../../local/identifier-key';
import { DEFAULT_INDEX_SHARDS, parseIndexShards } from '../../lambdas/records/table-schema';
import { startEmulators } from '../../local/emulators';
import { LOCAL_BUCKET_NAME, LOCAL_DATA_DIR, LOCAL_INDEX_SHARDS, LOCAL_TABLE_NAME } from '../../local/local-names';
import { PROJECT_ROOT } from '../../local/paths';
import { stringValue, type CliIo, type OptionSpecs, type OptionValues } from './io';

export const TABLE_ENV = 'AUDIT_ARCHIVER_TABLE';
export const BUCKET_ENV = 'AUDIT_ARCHIVER_BUCKET';
export const DATA_DIR_ENV = 'AUDIT_ARCHIVER_DATA_DIR';
export const IDENTIFIER_SECRET_CLI_ENV = 'AUDIT_ARCHIVER_IDENTIFIER_SECRET';
export const LEDGER_ENV = 'AUDIT_ARCHIVER_LEDGER_TABLE';
export const RECEIPTS_ENV = 'AUDIT_ARCHIVER_RECEIPTS_BUCKET';
export const INDEX_SHARDS_ENV = 'AUDIT_ARCHIVER_INDEX_SHARDS';

export const TARGET_OPTIONS: OptionSpecs = {
  table: { type: 'string' },
  bucket: { type: 'string' },
  'identifier-secret': { type: 'string' },
  'ledger-table': { type: 'string' },
  'receipts-bucket': { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  local: { type: 'boolean' },
  'data-dir': { type: 'string' },
  'index-shards': { type: 'string' },
};

export const TARGET_HELP = `Archive (deployed stack):
  --table NAME --bucket NAME   the stack's RecordsTableName and EvidenceBucketName outputs
                               (or ${TABLE_ENV} / ${BUCKET_ENV}); your own AWS credentials
  --identifier-secret ARN      the IdentifierSecretArn output (or ${IDENTIFIER_SECRET_CLI_ENV}): needed to name a
                               check by its provider id or a client by its key; a checkRef works without it
  --ledger-table NAME --receipts-bucket NAME
                               the LedgerTableName and ReceiptsBucketName outputs (or ${LEDGER_ENV} /
                               ${RECEIPTS_ENV}): needed by relationship, erase and receipts
  --region REGION --profile P  as for the AWS CLI
Archive (local, the default when no table or bucket is named):
  --local                      use the local archive even if ${TABLE_ENV} is set
  --data-dir DIR               where \`npm start\` keeps it (default .archive in the repository, or ${DATA_DIR_ENV})
Either:
  --index-shards N             the write shards of the auditor indexes, as deployed (stack output IndexShards;
                               or ${INDEX_SHARDS_ENV}; default: cdk.json's indexShards, else ${DEFAULT_INDEX_SHARDS};
                               the local archive: ${LOCAL_INDEX_SHARDS}, as \`npm start\` writes it)`;

export interface AuditTarget {
  kind: 'aws' | 'local';
  /** For messages: "table X, bucket Y" or the local directory. */
  label: string;
  deps: AuditDeps;
  /** Legal holds on objects: known for the local archive (s3rver has no Object Lock), detected on AWS. */
  objectLock: boolean | 'detect';
  /** The retention ledger and the receipts bucket (relationship, erase, receipts), when named. */
  retention?: { ledgerTableName: string; receiptsBucket: string };
  close(): Promise<void>;
}

export async function openTarget(values: OptionValues, io: CliIo): Promise<AuditTarget> {
  const table = stringValue(values, 'table') ?? nonEmpty(io.env[TABLE_ENV]);
  const bucket = stringValue(values, 'bucket') ?? nonEmpty(io.env[BUCKET_ENV]);
  if (values.local === true || (table === undefined && bucket === undefined)) {
    if (values.local === true && (stringValue(values, 'table') || stringValue(values, 'bucket'))) {
      throw new ConfigurationError('--local reads the local archive: drop --table/--bucket');
    }
    return openLocal(values, io);
  }
  if (!table || !bucket) {
    throw new ConfigurationError(`name both the table and the bucket (--table/--bucket or ${TABLE_ENV}/${BUCKET_ENV})`);
  }
  return openAws(values, io, table, bucket);
}

function openAws(values: OptionValues, io: CliIo, tableName: string, bucket: string): AuditTarget {
  const region = stringValue(values, 'region');
  const profile = stringValue(values, 'profile');
  const common = { ...(region ? { region } : {}), ...(profile ? { profile } : {}) };
  // AWS_ENDPOINT_URL_* as the functions honour them (an emulator or a VPC endpoint); otherwise the SDK's defaults.
  const s3Endpoint = nonEmpty(io.env.AWS_ENDPOINT_URL_S3);
  const dynamoEndpoint = nonEmpty(io.env.AWS_ENDPOINT_URL_DYNAMODB);
  const s3 = s3Endpoint ? createS3Client({ endpoint: s3Endpoint, ...(region ? { region } : {}) }) : new S3Client(common);
  const dynamo = dynamoEndpoint
    ? createDynamoDocumentClient({ endpoint: dynamoEndpoint, ...(region ? { region } : {}) })
    : DynamoDBDocumentClient.from(new DynamoDBClient(common), { marshallOptions: { removeUndefinedValues: true } });
  const ledgerTableName = stringValue(values, 'ledger-table') ?? nonEmpty(io.env[LEDGER_ENV]);
  const receiptsBucket = stringValue(values, 'receipts-bucket') ?? nonEmpty(io.env[RECEIPTS_ENV]);
  const secretArn = stringValue(values, 'identifier-secret') ?? nonEmpty(io.env[IDENTIFIER_SECRET_CLI_ENV]);
  const secrets = secretArn ? new SecretsManagerClient(common) : undefined;
  const identifierKey: IdentifierKeySource = secrets
    ? secretIdentifierKey(secrets, secretArn!)
    : {
        get: () =>
          Promise.reject(
            new ConfigurationError(`naming a check by its id or a client by its key needs the identifier secret (--identifier-secret or ${IDENTIFIER_SECRET_CLI_ENV}); a checkRef works without it`),
          ),
      };
  return {
    kind: 'aws',
    label: `table ${tableName}, bucket ${bucket}`,
    deps: auditDeps({ dynamo, tableName, s3, bucket, identifierKey, indexShards: indexShardsOf(values, io) }),
    objectLock: 'detect',
    ...(ledgerTableName && receiptsBucket ? { retention: { ledgerTableName, receiptsBucket } } : {}),
    async close() {
      s3.destroy();
      dynamo.destroy();
      secrets?.destroy();
    },
  };
}

async function openLocal(values: OptionValues, io: CliIo): Promise<AuditTarget> {
  const dataDir = resolve(stringValue(values, 'data-dir') ?? nonEmpty(io.env[DATA_DIR_ENV]) ?? join(PROJECT_ROOT, LOCAL_DATA_DIR));
  if (!existsSync(join(dataDir, 'dynamodb')) || !existsSync(join(dataDir, 's3'))) {
    throw new ConfigurationError(
      `no local archive in ${dataDir}: run \`npm start\` first, or name a deployed stack (--table/--bucket or ${TABLE_ENV}/${BUCKET_ENV})`,
    );
  }
  // dynalite's LevelDB admits one process: while another has the directory open, opening fails (see the entry point).
  const emulators = await startEmulators({ dataDir, bucketName: LOCAL_BUCKET_NAME, tableName: LOCAL_TABLE_NAME });
  const identifierKey = fixedIdentifierKey(IdentifierKey.fromSecret(await localIdentifierKey(dataDir)));
  return {
    kind: 'local',
    label: `local archive ${dataDir}`,
    deps: auditDeps({
      dynamo: emulators.dynamoClient(),
      tableName: emulators.tableName,
      s3: emulators.s3Client(),
      bucket: emulators.bucketName,
      identifierKey,
      indexShards: indexShardsOf(values, io, LOCAL_INDEX_SHARDS),
    }),
    objectLock: false,
    retention: { ledgerTableName: emulators.ledgerTableName, receiptsBucket: emulators.receiptsBucketName },
    close: () => emulators.close(),
  };
}

/**
 * How many shards a query reads: the writers' count. A smaller one would silently miss records, so it comes from the
 * flag, the environment, or what wrote the archive: the cdk.json the stack was built from, or local mode's count.
 */
export function indexShardsOf(values: OptionValues, io: Pick<CliIo, 'env'>, written = deployedIndexShards()): number {
  const given = stringValue(values, 'index-shards');
  if (given !== undefined) return parseIndexShards(given, '--index-shards');
  const fromEnv = nonEmpty(io.env[INDEX_SHARDS_ENV]);
  if (fromEnv !== undefined) return parseIndexShards(fromEnv, INDEX_SHARDS_ENV);
  return written;
}

/** cdk.json's `indexShards` (the app's default when absent). */
export function deployedIndexShards(cdkJson = join(PROJECT_ROOT, 'cdk.json')): number {
  if (!existsSync(cdkJson)) return DEFAULT_INDEX_SHARDS;
  const { context } = JSON.parse(readFileSync(cdkJson, 'utf8')) as { context?: Record<string, unknown> };
  const value = context?.indexShards;
  return value === undefined ? DEFAULT_INDEX_SHARDS : parseIndexShards(value, `indexShards in ${cdkJson}`);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
