/** What the capture inspector calls: read a File in the browser and compute its statistics. */
import { readCaptureBlob } from '../capture/blob';
import { CaptureIndexer } from './capture-index';
import { captureStats, type CaptureStats } from './stats';

export async function summarizeCaptureBlob(
  file: Blob & { name: string },
  onProgress?: (bytesRead: number, total: number) => void,
): Promise<CaptureStats> {
  const indexer = new CaptureIndexer();
  const summary = await readCaptureBlob(file, indexer, { onProgress });
  return captureStats(indexer.finish(summary));
}
