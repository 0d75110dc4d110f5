/**
 * A capture kit bundle (`<node>-hopscope.tar.gz`), once gunzipped: its captures and the node's
 * recorded state, for the CLI and the browser alike.
 */
import type { StateFiles } from './state';
import { untar } from './tar';

export const BUNDLE_FILE = /-hopscope\.tar\.gz$/i;
/** The recorded state of one node, as the browser hands it to its analysis worker. */
export const STATE_FILE = /\.hopscope-state\.json$/i;
/** A capture's name inside a bundle: one plain file name, never a path (`..`, `/`, `\`). */
const SAFE_NAME = /^(?!\.\.?$)[^/\\\0]+$/;
/** The state files the kit writes: `manifest.json` and `state/<name>.txt|json|log`. */
export const STATE_KEY = /^(manifest\.json|[A-Za-z0-9._-]+\.(txt|json|log))$/;
/** What a bundle may inflate to: the kit's ring buffers are small; a bomb is not. */
export const MAX_BUNDLE_BYTES = 2 * 1024 * 1024 * 1024;
/** A node's recorded state: routes, rules and counters of a busy node run to a few megabytes. */
export const MAX_STATE_BYTES = 32 * 1024 * 1024;

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
    if (name === 'manifest.json' || (name.startsWith('state/') && STATE_KEY.test(name.slice(6)))) state.set(name.replace(/^state\//, ''), new TextDecoder().decode(data));
    else if (name.startsWith('captures/') && SAFE_NAME.test(name.slice(9))) captures.push({ name: name.slice(9), bytes: new Uint8Array(data) });
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
