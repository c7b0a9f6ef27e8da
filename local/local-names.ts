/** Where local mode keeps its archive, and what it calls the bucket and table there (the CLI reads the same). */
export const LOCAL_DATA_DIR = '.archive';
export const LOCAL_BUCKET_NAME = 'audit-archiver-local';
export const LOCAL_TABLE_NAME = 'audit-archiver-local';
/** The webhooks' wake-up table in local mode (only created when webhooks are on). */
export const LOCAL_WAKE_TABLE_NAME = 'audit-archiver-local-wakeups';
