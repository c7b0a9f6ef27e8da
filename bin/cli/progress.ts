/** A one-line progress bar on stderr (a terminal, or --progress): redrawn in place, finished with a newline. */
import type { OutputStream } from './command';
import { bytesText } from './output';

export interface Progress {
  update(done: number, bytes: number): void;
  finish(): void;
}

const WIDTH = 24;

export function progressBar(stream: OutputStream, total: number, unit: string, enabled: boolean): Progress {
  if (!enabled || total === 0) return { update() {}, finish() {} };
  let drawn = false;
  let last = '';
  return {
    update(done, bytes) {
      const filled = Math.round((done / total) * WIDTH);
      const line = `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${done}/${total} ${unit}  ${bytesText(bytes)}`;
      if (line === last) return;
      // Padded to the previous line's length: a shorter line must not leave characters of the longer one.
      stream.write(`\r${line.padEnd(last.length)}`);
      last = line;
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\n');
    },
  };
}
