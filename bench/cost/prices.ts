/**
 * AWS list prices, us-east-1, on-demand, without free tiers — what the cost model multiplies measured usage by.
 * Each was read on 2026-11-29 from a stored copy of the AWS pricing page cited (the copies date from 2025–2026);
 * check the pages before relying on the figures.
 */
export const PRICES = {
  /** https://aws.amazon.com/step-functions/pricing/ — Standard workflows, "$0.025 per 1,000 state transitions". */
  stepFunctionsPerTransition: 0.025 / 1_000,
  /** https://aws.amazon.com/lambda/pricing/ — requests, "$0.20 per 1M requests" (x86 and Arm alike). */
  lambdaPerRequest: 0.2 / 1_000_000,
  /** https://aws.amazon.com/lambda/pricing/ — Arm (the stack's ARM_64), first 7.5 billion GB-s/month: $0.0000133334 per GB-s. */
  lambdaArmPerGbSecond: 0.0000133334,
  /** https://aws.amazon.com/s3/pricing/ — S3 Standard "PUT, COPY, POST, LIST requests (per 1,000 requests)": $0.005. */
  s3PutClassPerRequest: 0.005 / 1_000,
  /** https://aws.amazon.com/s3/pricing/ — S3 Standard "GET, SELECT, and all other requests (per 1,000 requests)": $0.0004. */
  s3GetClassPerRequest: 0.0004 / 1_000,
  /** https://aws.amazon.com/s3/pricing/ — S3 Standard storage, first 50 TB/month: $0.023 per GB-month. */
  s3StandardPerGbMonth: 0.023,
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ — on-demand "$0.625 per million write request units" (since the Nov 2024 reduction). */
  dynamoPerWriteRequestUnit: 0.625 / 1_000_000,
  /** https://aws.amazon.com/dynamodb/pricing/on-demand/ — on-demand "$0.125 per million read request units". */
  dynamoPerReadRequestUnit: 0.125 / 1_000_000,
  /**
   * https://aws.amazon.com/cloudwatch/pricing/ — Logs ingestion, standard and vended (Step Functions) first tier:
   * $0.50 per GB. The state machine logs every history event (LogLevel.ALL, without execution data).
   */
  cloudWatchLogsPerGb: 0.5,
} as const;

export const PRICES_CHECKED_ON = '2026-11-29';
export const GB = 1024 ** 3;
