/**
 * Loading the lab's recorded scenarios (sample-captures/) and recomputing their ground truth:
 * for the sample tests, for CI's rerun comparison, and for the correlator's verdict tests.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { countBackground } from './background';
import { loadCapture, observeFlows, splitByInterface, type FlowObservation, type LoadedCapture } from './ground-truth';
import { flowStory, type BackgroundCounts, type CaptureWindow, type Flow, type FlowStory, type HealthyFlow, type PointId, type ScenarioFile } from './scenario';

const LINKTYPE_LINUX_SLL2 = 276;

export const SAMPLE_CAPTURES_DIR = fileURLToPath(new URL('../../sample-captures', import.meta.url));

/** Scenario folder names under `dir`, sorted. */
export async function listScenarios(dir = SAMPLE_CAPTURES_DIR): Promise<string[]> {
  const names: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    try {
      await stat(join(dir, entry.name, 'scenario.json'));
      names.push(entry.name);
    } catch {
      // not a scenario folder
    }
  }
  return names.sort();
}

export async function loadScenario(name: string, dir = SAMPLE_CAPTURES_DIR): Promise<ScenarioFile> {
  return JSON.parse(await readFile(join(dir, name, 'scenario.json'), 'utf8')) as ScenarioFile;
}

/** Every capture point of a scenario, read with the project's reader. */
export async function loadCapturePoints(scenario: ScenarioFile, dir = SAMPLE_CAPTURES_DIR): Promise<Map<PointId, LoadedCapture>> {
  const out = new Map<PointId, LoadedCapture>();
  for (const p of scenario.capturePoints) {
    const cap = await loadCapture(join(dir, scenario.name, p.file));
    // Schema 2: an `-i any` capture's records are placed on the node's devices by interface index.
    if (p.ifindex && cap.linkTypes[0] === LINKTYPE_LINUX_SLL2) splitByInterface(cap, p.node, p.ifindex);
    out.set(p.id, cap);
  }
  return out;
}

export interface ScenarioObservation {
  flows: FlowObservation[];
  healthy: FlowObservation[];
  background: Record<PointId, BackgroundCounts>;
  windows: Record<PointId, CaptureWindow>;
}

/** Everything schema 2 measures, computed afresh from the captures (only ids, matches and paths are read). */
export async function observeAll(scenario: ScenarioFile, dir = SAMPLE_CAPTURES_DIR): Promise<ScenarioObservation> {
  const captures = await loadCapturePoints(scenario, dir);
  const toObserve = (f: Flow | HealthyFlow) => {
    const { tcpIsn: _isn, ...match } = f.match;
    return { id: f.id, protocol: f.protocol, match, path: f.path };
  };
  const healthy = scenario.healthy ?? [];
  const all = observeFlows(captures, [...scenario.flows, ...healthy].map(toObserve));
  const background: Record<PointId, BackgroundCounts> = {};
  const windows: Record<PointId, CaptureWindow> = {};
  for (const [id, cap] of captures) {
    background[id] = countBackground(cap.frames.map((f) => f.background));
    if (cap.window) windows[id] = cap.window;
  }
  return { flows: all.slice(0, scenario.flows.length), healthy: all.slice(scenario.flows.length), background, windows };
}

/** The flow observations the captures support, computed afresh (scenario.json's flows are not read). */
export async function observeScenario(scenario: ScenarioFile, dir = SAMPLE_CAPTURES_DIR): Promise<FlowObservation[]> {
  const captures = await loadCapturePoints(scenario, dir);
  return observeFlows(
    captures,
    scenario.flows.map((f) => {
      // The ISN is learned from the captures, never taken from the file under test.
      const { tcpIsn: _isn, ...match } = f.match;
      return { id: f.id, protocol: f.protocol, match, path: f.path };
    }),
  );
}

/** Differences between two runs' stories (the parts that must not change on a rerun). */
export function compareStories(expected: ScenarioFile, actual: ScenarioFile): string[] {
  const diffs: string[] = [];
  const act = new Map<string, FlowStory>([...actual.flows, ...(actual.healthy ?? [])].map((f) => [f.id, flowStory(f)]));
  for (const f of [...expected.flows, ...(expected.healthy ?? [])]) {
    const e = flowStory(f);
    const a = act.get(f.id);
    if (!a) {
      diffs.push(`${expected.name}/${f.id}: missing from the rerun`);
      continue;
    }
    const show = (s: FlowStory): string => JSON.stringify(s);
    if (show(e) !== show(a)) diffs.push(`${expected.name}/${f.id}:\n  committed ${show(e)}\n  rerun     ${show(a)}`);
  }
  return diffs;
}
