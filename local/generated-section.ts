/**
 * The figures sections of docs/ are written by the scripts that measure them (the reliability suite, the bench):
 * between a `<!-- <name>:begin -->` and a `<!-- <name>:end -->` line, everything is replaced; the prose around stays.
 */
import { readFile, writeFile } from 'node:fs/promises';

export async function writeGeneratedSection(path: string, name: string, content: string): Promise<void> {
  const text = await readFile(path, 'utf8');
  const begin = `<!-- ${name}:begin (generated: do not edit by hand) -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${path} has no ${name} section markers`);
  await writeFile(path, `${text.slice(0, from + begin.length)}\n${content.trim()}\n${text.slice(to)}`);
}
