/** Where local mode keeps its archive, and what it calls the bucket and table there (the CLI reads the same). */
export const LOCAL_DATA_DIR = '.archive';
export const LOCAL_BUCKET_NAME = 'audit-archiver-local';
export const LOCAL_TABLE_NAME = 'audit-archiver-local';
