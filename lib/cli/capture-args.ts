/** The capture files named on a command line, for the commands that read them one by one (`stats`, `fields`). */
import { captureFilesIn } from '../analyze/files';

/** The paths' capture files (a folder: its captures); each folder without one is said on stderr and counted as a failure. */
export function captureArgs(command: string, paths: string[]): { files: string[]; failed: number } {
  if (paths.length === 0) throw new Error(`${command} needs at least one capture file`);
  const { files, problems } = captureFilesIn(paths);
  for (const p of problems) process.stderr.write(`hopscope: ${p}\n`);
  return { files, failed: problems.length };
}
