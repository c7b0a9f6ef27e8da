/**
 * AWS list prices, us-east-1, on-demand, without free tiers — what the cost model multiplies measured usage by.
 * Read on 2026-11-29 and 2026-12-04 from stored copies of the AWS pricing pages cited (the copies date from 2025–2026);
 * where a price could not be read on AWS's own page, the comment says where it comes from. Check the pages before
 * relying on the figures.
 */
export const PRICES = {
  /**
   * https://aws.amazon.com/step-functions/pricing/ — Standard workflows, "$0.025 per 1,000 state transitions"; "If you
   * include retry error handling in any steps of your workflow, each retry will be charged as an additional state
   * transition" (design b pays one per poll).
   */
  stepFunctionsPerTransition: 0.025 / 1_000,
  /** https://aws.amazon.com/step-functions/pricing/ — Express workflows, requests: "$1.00 per million requests". */
  stepFunctionsExpressPerRequest: 1 / 1_000_000,
  /**
   * https://aws.amazon.com/step-functions/pricing/ — Express duration, first 1,000 GB-hours a month: $0.06000 per
   * GB-hour (the page's example 3), i.e. $0.0000166667 per GB-second; "rounded up to the nearest 100ms, and the amount of
   * memory used in the execution of your workflow, billed in 64-MB chunks". The next 4,000 GB-hours cost $0.03000 and
   * beyond $0.01642 (the same example): at 100 checks/s a month's Express hours are far past 5,000, so the first-tier
   * price used here is the conservative one.
   */
  stepFunctionsExpressPerGbSecond: 0.06 / 3_600,
  /** Express memory is billed in 64 MB chunks; a small definition and state use the first (50 MB + definition + data). */
  expressBilledMemoryGb: 64 / 1_024,
  /** https://aws.amazon.com/lambda/pricing/ — requests, "$0.20 per 1M requests" (x86 and Arm alike). */
  lambdaPerRequest: 0.2 / 1_000_000,
  /** https://aws.amazon.com/lambda/pricing/ — Arm (the stack's ARM_64), first 7.5 billion GB-s/month: $0.0000133334 per GB-s. */
  lambdaArmPerGbSecond: 0.0000133334,
  /**
   * https://aws.amazon.com/lambda/pricing/ — Lambda durable functions, "$8.00" per million durable operations, as the
   * page's worked example states it (read from a transcription of the page, api-evangelist/aws-lambda, 2026-09-20: the
   * page itself renders its rates client-side and was not readable here). Durable functions also bill data written
   * and retained; those rates could not be found and are left out (they would only add to design c's cost).
   */
  lambdaDurablePerOperation: 8 / 1_000_000,
  /**
   * https://aws.amazon.com/sqs/pricing/ — standard queues, "$0.40 per million requests" (1 million to 100 billion a
   * month; every 64 KB chunk of a payload is a request). Not read on AWS's page itself: from two pricing write-ups
   * quoting it (cloudburn.io/blog/amazon-sqs-pricing, 2026-03; unanswered.io SQS pricing guide), which agree.
   */
  sqsPerRequest: 0.4 / 1_000_000,
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
   * $0.50 per GB. The Standard workflow logs every history event (LogLevel.ALL, without execution data); an Express
   * child would log nothing (logging off: its history would only exist in logs, at a price).
   */
  cloudWatchLogsPerGb: 0.5,
} as const;

export const PRICES_CHECKED_ON = '2026-12-04';
export const GB = 1024 ** 3;
