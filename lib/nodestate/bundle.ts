/**
 * A capture kit bundle (`<node>-hopscope.tar.gz`), once gunzipped: its captures and the node's
 * recorded state, for the CLI and the browser alike.
 */
import type { StateFiles } from './state';
import { untar } from './tar';

export const BUNDLE_FILE = /-hopscope\.tar\.gz$/i;
/** The recorded state of one node, as the browser hands it to its analysis worker. */
export const STATE_FILE = /\.hopscope-state\.json$/i;

export interface Bundle {
  node: string;
  captures: { name: string; bytes: Uint8Array<ArrayBuffer> }[];
  state: StateFiles;
}

export function openBundle(tar: Uint8Array, fileName: string): Bundle {
  const entries = untar(tar, fileName);
  const state: StateFiles = new Map();
  const captures: Bundle['captures'] = [];
  for (const [name, data] of entries) {
    if (name === 'manifest.json' || name.startsWith('state/')) state.set(name.replace(/^state\//, ''), new TextDecoder().decode(data));
    else if (name.startsWith('captures/') && !name.slice(9).includes('/')) captures.push({ name: name.slice(9), bytes: new Uint8Array(data) });
  }
  const manifest = state.get('manifest.json');
  if (manifest === undefined) throw new Error(`${fileName}: no manifest.json: not a bundle of the capture kit`);
  let node = 'unknown';
  try {
    node = (JSON.parse(manifest) as { node?: string }).node ?? node;
  } catch {
    throw new Error(`${fileName}: manifest.json is not JSON`);
  }
  return { node, captures, state };
}
