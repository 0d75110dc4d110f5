/** What the capture inspector calls: read a File in the browser and compute its statistics. */
import { readCaptureBlob } from '../capture/blob';
import { CaptureIndexer } from './capture-index';
import { captureStats, type CaptureStats } from './stats';

export async function summarizeCaptureBlob(
  file: Blob & { name: string },
  onProgress?: (bytesRead: number, total: number) => void,
): Promise<CaptureStats> {
  // The statistics are counts by shape: no packet's row is needed, so none is kept.
  const indexer = new CaptureIndexer({ rows: false });
  const summary = await readCaptureBlob(file, indexer, { onProgress });
  return captureStats(indexer.finish(summary));
}
