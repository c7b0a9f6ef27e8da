/**
 * A minimal ZIP writer for case bundles: stored entries (images are already compressed; JSON is small), UTF-8 names,
 * no ZIP64 — a bundle too large for the classic format is refused and can be exported as a directory instead.
 * Files are streamed twice from local disk: once for the CRC-32 the local header needs, once into the archive.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { crc32 } from 'node:zlib';
import { once } from 'node:events';
import { InvalidQueryError } from './errors';

const LIMIT_32 = 0xffff_ffff;
const UTF8_FLAG = 0x0800;

interface Entry {
  name: Buffer;
  crc: number;
  size: number;
  offset: number;
}

/** Writes every file under `sourceDir` (sorted, relative names) into a new zip at `zipPath`. */
export async function writeZip(sourceDir: string, zipPath: string, modified: Date): Promise<{ files: number; bytes: number }> {
  const files = await filesUnder(sourceDir);
  if (files.length >= 0xffff) throw new InvalidQueryError('too many files for a zip bundle: export to a directory');
  const { time, date } = dosDateTime(modified);
  const out = createWriteStream(zipPath, { flags: 'wx' });
  let offset = 0;
  const write = async (chunk: Buffer) => {
    offset += chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  };
  const entries: Entry[] = [];
  try {
    for (const file of files) {
      const path = join(sourceDir, file);
      const { size } = await stat(path);
      if (size >= LIMIT_32 || offset + size >= LIMIT_32) throw new InvalidQueryError('bundle larger than 4 GiB: export to a directory');
      let crc = 0;
      for await (const chunk of createReadStream(path)) crc = crc32(chunk as Buffer, crc);
      const name = Buffer.from(file.split(sep).join('/'), 'utf8');
      entries.push({ name, crc, size, offset });
      await write(localHeader(name, crc, size, time, date));
      for await (const chunk of createReadStream(path)) await write(chunk as Buffer);
    }
    const directoryStart = offset;
    for (const entry of entries) await write(centralHeader(entry, time, date));
    const directorySize = offset - directoryStart;
    await write(endOfDirectory(entries.length, directorySize, directoryStart));
    out.end();
    await once(out, 'close');
  } catch (error) {
    out.destroy();
    throw error;
  }
  return { files: entries.length, bytes: offset };
}

function localHeader(name: Buffer, crc: number, size: number, time: number, date: number): Buffer {
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(20, 4); // version needed: 2.0
  header.writeUInt16LE(UTF8_FLAG, 6);
  header.writeUInt16LE(0, 8); // stored
  header.writeUInt16LE(time, 10);
  header.writeUInt16LE(date, 12);
  header.writeUInt32LE(crc >>> 0, 14);
  header.writeUInt32LE(size, 18);
  header.writeUInt32LE(size, 22);
  header.writeUInt16LE(name.length, 26);
  header.writeUInt16LE(0, 28);
  return Buffer.concat([header, name]);
}

function centralHeader(entry: Entry, time: number, date: number): Buffer {
  const header = Buffer.alloc(46);
  header.writeUInt32LE(0x02014b50, 0);
  header.writeUInt16LE(0x0314, 4); // made by: Unix, 2.0
  header.writeUInt16LE(20, 6);
  header.writeUInt16LE(UTF8_FLAG, 8);
  header.writeUInt16LE(0, 10);
  header.writeUInt16LE(time, 12);
  header.writeUInt16LE(date, 14);
  header.writeUInt32LE(entry.crc >>> 0, 16);
  header.writeUInt32LE(entry.size, 20);
  header.writeUInt32LE(entry.size, 24);
  header.writeUInt16LE(entry.name.length, 28);
  header.writeUInt32LE((0o100444 << 16) >>> 0, 38); // regular file, read-only
  header.writeUInt32LE(entry.offset, 42);
  return Buffer.concat([header, entry.name]);
}

function endOfDirectory(count: number, size: number, start: number): Buffer {
  const record = Buffer.alloc(22);
  record.writeUInt32LE(0x06054b50, 0);
  record.writeUInt16LE(count, 8);
  record.writeUInt16LE(count, 10);
  record.writeUInt32LE(size, 12);
  record.writeUInt32LE(start, 16);
  return record;
}

/** MS-DOS time and date fields (UTC; the format has no zone). */
function dosDateTime(at: Date): { time: number; date: number } {
  const year = Math.max(1980, at.getUTCFullYear());
  return {
    time: (at.getUTCHours() << 11) | (at.getUTCMinutes() << 5) | Math.floor(at.getUTCSeconds() / 2),
    date: ((year - 1980) << 9) | ((at.getUTCMonth() + 1) << 5) | at.getUTCDate(),
  };
}

export async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}
