import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { ArchiverConfig } from './config';
import { AuditorApi } from './constructs/auditor-api';
import { CheckBus } from './constructs/check-bus';
import { CheckTrigger } from './constructs/check-trigger';
import { EvidenceGuard } from './constructs/evidence-guard';
import { EvidenceStorage } from './constructs/evidence-storage';
import { IdentifierSecret } from './constructs/identifier-secret';
import { Operations } from './constructs/operations';
import { PollingWorkflow } from './constructs/polling-workflow';
import { ProviderSecrets } from './constructs/provider-secrets';
import { RetentionOperations } from './constructs/retention-operations';
import { ServiceKeys } from './constructs/service-keys';
import { ScheduledReconcile } from './constructs/scheduled-reconcile';
import { DeadLetterRedrive } from './constructs/dead-letter-redrive';
import { WebhookReceiver } from './constructs/webhook-receiver';
import { WorkflowFunctions } from './constructs/workflow-functions';
import { DEAD_LETTER_MAX_AGE, START_QUEUE_MAX_AGE } from './defaults';
import { PROVIDERS, type ProviderName } from '../lambdas/checks/check-status';

export interface AuditArchiverStackProps extends StackProps {
  /** Validated configuration (lib/config.ts `loadConfig`). */
  readonly config: ArchiverConfig;
}

/**
 * audit-archiver: `Check Created` events start a polling workflow that archives each check's evidence in S3 and its
 * record in DynamoDB before the provider throws it away. One construct per concern.
 */
export class AuditArchiverStack extends Stack {
  public readonly storage: EvidenceStorage;
  public readonly keys: ServiceKeys;
  public readonly guard: EvidenceGuard;
  public readonly secrets: ProviderSecrets;
  public readonly identifiers: IdentifierSecret;
  public readonly retention: RetentionOperations;
  public readonly functions: WorkflowFunctions;
  /** One workflow per provider, its poll and archive functions holding that provider's secret alone. */
  public readonly workflows: Readonly<Record<ProviderName, PollingWorkflow>>;
  public readonly bus: CheckBus;
  public readonly trigger: CheckTrigger;
  public readonly auditorApi: AuditorApi;
  public readonly operations: Operations;
  public readonly reconcile: ScheduledReconcile;
  public readonly deadLetterRedrive: DeadLetterRedrive;
  /** Only when a provider's webhooks are on (cdk.json `webhooks.<provider>.enabled`). */
  public readonly webhooks?: WebhookReceiver;

  constructor(scope: Construct, id: string, props: AuditArchiverStackProps) {
    super(scope, id, props);
    const { config } = props;

    this.storage = new EvidenceStorage(this, 'Storage', {
      retention: config.retention,
      objectLockMode: config.objectLockMode,
    });
    this.keys = new ServiceKeys(this, 'Keys');
    this.guard = new EvidenceGuard(this, 'Guard', {
      storage: this.storage,
      ...(config.breakGlassRoleArn ? { breakGlassRoleArn: config.breakGlassRoleArn } : {}),
      lockedClasses: Object.entries(config.retention.classes).filter(([, cls]) => !cls.erasable).map(([name]) => name),
    });
    this.secrets = new ProviderSecrets(this, 'ProviderSecrets', {
      providers: config.providers,
      encryptionKey: this.keys.operations,
    });
    this.identifiers = new IdentifierSecret(this, 'Identifiers', { encryptionKey: this.keys.operations });
    this.functions = new WorkflowFunctions(this, 'Functions', {
      config,
      storage: this.storage,
      secrets: this.secrets,
      logKey: this.keys.logs,
    });
    // The same definition per provider (state machine `<stack>-Workflow-<provider>`, its own poll queue); the start
    // function picks the workflow by the event's validated provider. Record failure has no secrets and is shared.
    this.workflows = Object.fromEntries(
      PROVIDERS.map((provider) => [
        provider,
        new PollingWorkflow(this, `Workflow-${provider}`, {
          handlers: {
            poll: this.functions.providers[provider].poll.function,
            archive: this.functions.providers[provider].archive.function,
            record: this.functions.record.function,
          },
          encryptionKey: this.keys.operations,
          logKey: this.keys.logs,
          timeout: Duration.seconds(config.stateMachineTimeoutSeconds),
          pollMaxConcurrency: config.pollMaxConcurrency,
        }),
      ]),
    ) as Record<ProviderName, PollingWorkflow>;
    const webhookProviders = Object.fromEntries(Object.entries(config.webhooks).filter(([, settings]) => settings?.enabled));
    if (Object.keys(webhookProviders).length > 0) {
      this.webhooks = new WebhookReceiver(this, 'Webhooks', {
        providers: webhookProviders,
        pollLoops: Object.fromEntries(
          PROVIDERS.map((p) => [p, { pollFunction: this.functions.providers[p].poll.function, pollQueue: this.workflows[p].pollQueue.queue }]),
        ),
        encryptionKey: this.keys.operations,
        logKey: this.keys.logs,
      });
    }
    this.bus = new CheckBus(this, 'Checks', {
      ...(config.eventBusName ? { existingBusName: config.eventBusName } : {}),
      producers: config.eventProducers,
    });
    this.trigger = new CheckTrigger(this, 'Trigger', {
      workflows: this.workflows,
      eventBus: this.bus.eventBus,
      createdAtSkewSeconds: config.createdAtSkewSeconds,
      eventSource: config.eventSource,
      encryptionKey: this.keys.operations,
      logKey: this.keys.logs,
      table: this.storage.table,
      tableKey: this.storage.tableKey,
    });

    this.reconcile = new ScheduledReconcile(this, 'Reconcile', {
      workflows: this.workflows,
      storage: this.storage,
      logKey: this.keys.logs,
    });

    this.deadLetterRedrive = new DeadLetterRedrive(this, 'DeadLetterRedrive', { trigger: this.trigger, logKey: this.keys.logs });

    this.operations = new Operations(this, 'Operations', {
      stateMachines: PROVIDERS.map((p) => this.workflows[p].stateMachine),
      deadLetterQueue: this.trigger.deadLetterQueue,
      startQueue: this.trigger.startQueue,
      queueAges: { startQueueSeconds: START_QUEUE_MAX_AGE.toSeconds(), deadLetterSeconds: DEAD_LETTER_MAX_AGE.toSeconds() },
      recordsTable: this.storage.table,
      functions: {
        start: this.trigger.startFunction.function,
        poll: this.functions.all('poll').map((fn) => fn.function),
        archive: this.functions.all('archive').map((fn) => fn.function),
        record: this.functions.record.function,
        reconcile: this.reconcile.function.function,
      },
      encryptionKey: this.keys.operations,
    });

    this.auditorApi = new AuditorApi(this, 'AuditorApi', { storage: this.storage, logKey: this.keys.logs, indexShards: config.indexShards });

    // Every function that names a check by its id (or checks the name it is given) holds the identifier key; so does
    // the records officer, who names checks by id. Auditors go through the API, whose query function hashes for them.
    for (const fn of [
      this.trigger.startFunction,
      ...this.functions.all('poll'),
      ...this.functions.all('archive'),
      this.functions.record,
      this.auditorApi.query,
      this.deadLetterRedrive.function,
    ]) {
      this.identifiers.grantTo(fn);
    }
    // The webhook receiver names the check a notification is about, as the archive does.
    if (this.webhooks) this.identifiers.grantTo(this.webhooks.function);

    this.retention = new RetentionOperations(this, 'Retention', {
      storage: this.storage,
      logKey: this.keys.logs,
      identifiers: this.identifiers,
      eventBus: this.bus.eventBus,
      eventSource: config.eventSource,
      retentionPolicy: JSON.stringify(config.retention),
      deadLetterQueue: this.trigger.deadLetterQueue,
    });
    for (const fn of [...this.functions.all('archive'), this.functions.record]) this.retention.grantLedgerRead(fn);
    this.guard.allowErasureBy(this.retention.function.role.roleArn);
    this.identifiers.grantRead(this.guard.recordsOfficerRole);

    new CfnOutput(this, 'StateMachineArns', {
      value: this.toJsonString(Object.fromEntries(PROVIDERS.map((p) => [p, this.workflows[p].stateMachine.stateMachineArn]))),
      description: "Each provider's workflow (JSON provider → state machine ARN): audit-archiver reconcile --state-machines",
    });
    new CfnOutput(this, 'EvidenceBucketName', { value: this.storage.bucket.bucketName });
    new CfnOutput(this, 'RecordsTableName', { value: this.storage.table.tableName });
    new CfnOutput(this, 'LedgerTableName', { value: this.retention.ledger.tableName, description: 'Retention ledger (audit-archiver --ledger-table)' });
    new CfnOutput(this, 'ReceiptsBucketName', { value: this.retention.receipts.bucketName, description: 'Sealed deletion receipts (audit-archiver --receipts-bucket)' });
    new CfnOutput(this, 'IndexShards', {
      value: String(config.indexShards),
      description: 'Write shards of the auditor indexes: the CLI on another machine needs --index-shards with this value',
    });
    new CfnOutput(this, 'StartQueueUrl', {
      value: this.trigger.startQueue.queueUrl,
      description: 'Check Created events waiting for the start function (dead letters are replayed here)',
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      value: this.trigger.deadLetterQueue.queueUrl,
      description: 'Check Created events that did not start a workflow, with the reason',
    });
    new CfnOutput(this, 'DeadLetterKeyArn', {
      value: this.trigger.deadLetterKey.keyArn,
      description: 'Opens sealed dead letters: audit-archiver dead-letters replay --key (decrypt is granted to the redrive only)',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.operations.topic.topicArn,
      description: 'Alarm notifications (subscribe on-call here); docs/operations.md (Runbook) says what each alarm means',
    });
    new CfnOutput(this, 'AuditorApiUrl', { value: this.auditorApi.url, description: 'Auditor query API (IAM/SigV4): GET /checks, GET /checks/{provider}/{checkId}' });
    new CfnOutput(this, 'ArchiveReaderPolicyArn', {
      value: this.auditorApi.archiveReaderPolicy.managedPolicyArn,
      description: 'Attach to those who verify or export directly (CLI, console): the records table and every evidence object, read-only',
    });
    new CfnOutput(this, 'AuditorPolicyArn', {
      value: this.auditorApi.auditorPolicy.managedPolicyArn,
      description: 'Attach to auditors: the query API only (records past retention hidden, images presigned by the API)',
    });
    if (this.webhooks) {
      new CfnOutput(this, 'WebhookUrl', {
        value: this.webhooks.url,
        description: 'Webhook receiver (docs/webhooks.md): give each provider whose webhooks are on {WebhookUrl}<provider> and its signing secret',
      });
    }
    new CfnOutput(this, 'EventBusName', { value: this.bus.eventBus.eventBusName, description: 'Publish Check Created events here' });
    new CfnOutput(this, 'EventSource', { value: config.eventSource, description: 'source of Check Created events' });
  }
}
