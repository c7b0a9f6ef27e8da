/** Where local mode keeps its archive, and what it calls the bucket and table there (the CLI reads the same). */
export const LOCAL_DATA_DIR = '.archive';
export const LOCAL_BUCKET_NAME = 'audit-archiver-local';
export const LOCAL_TABLE_NAME = 'audit-archiver-local';
/** The webhooks' wake-up table in local mode (only created when webhooks are on). */
export const LOCAL_WAKE_TABLE_NAME = 'audit-archiver-local-wakeups';
/**
 * Write shards of the auditor indexes in local mode (cdk.json's indexShards is for AWS). Every query reads a group's
 * shards, and dynalite answers a request in milliseconds, one at a time: two shards keep the local CLI and console as
 * quick as before while the merge across shards still runs. A reader with more shards still finds every record.
 */
export const LOCAL_INDEX_SHARDS = 2;
