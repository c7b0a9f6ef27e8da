/**
 * The CLI's commands, in the order `--help` lists them. A new command is one file in this folder exporting a
 * CliCommand (see ../command.ts) and one entry here.
 */
import type { CliCommand } from '../command';
import { backfillCommand } from './backfill';
import { consoleCommand } from './console';
import { deadLettersCommand } from './dead-letters';
import { exportCommand } from './export';
import { holdCommand, releaseCommand } from './hold';
import { queryCommand } from './query';
import { reconcileCommand } from './reconcile';
import { eraseCommand, receiptsCommand, relationshipCommand } from './retention';
import { showCommand } from './show';
import { verifyCommand } from './verify';

export const COMMANDS: readonly CliCommand[] = [queryCommand, showCommand, exportCommand, verifyCommand, holdCommand, releaseCommand, relationshipCommand, eraseCommand, receiptsCommand, reconcileCommand, consoleCommand, backfillCommand, deadLettersCommand];
