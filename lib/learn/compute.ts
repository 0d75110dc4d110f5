/** From loaded samples to what a step shows: its facts, sentences and checked claims. */
import { stationFacts, walkFacts, type StationFacts } from './facts';
import { firstMatching } from './probe';
import type { LoadedSample } from './sample';
import type { Claim, Lesson, StepFacts, StepSpec } from './types';
import { verdictFor } from './verdict-facts';

export interface RenderedStep {
  spec: StepSpec;
  index: number;
  sample: string;
  facts: StepFacts;
  paragraphs: string[];
  claims: Claim[];
}

function need(samples: ReadonlyMap<string, LoadedSample>, name: string): LoadedSample {
  const s = samples.get(name);
  if (!s) throw new Error(`sample ${name} is not loaded`);
  return s;
}

export function stepFacts(lesson: Lesson, step: StepSpec, samples: ReadonlyMap<string, LoadedSample>): StepFacts {
  const sample = need(samples, step.sample ?? lesson.sample);
  const path = step.path ?? lesson.path;
  const probe = step.probe ?? lesson.probe;
  const walk = walkFacts(sample, path, probe);
  let shown: StationFacts | undefined;
  if (step.show) {
    const p = firstMatching(sample, step.show, step.station);
    shown = p && stationFacts(p);
  } else {
    shown = walk.at[step.station];
  }
  if (!shown) throw new Error(`${sample.name}: step ${step.id} has no packet at ${step.station}`);
  const client = walk.at[path[0]!];
  const facts: StepFacts = { walk, shown };
  if (lesson.id === 'break-it' && client) facts.verdict = verdictFor(sample, client);
  if (step.compareSample) {
    const other = need(samples, step.compareSample);
    const w = walkFacts(other, path, probe);
    const c = w.at[path[0]!];
    facts.compare = { sample: other.name, walk: w, verdict: c && verdictFor(other, c) };
  }
  return facts;
}

export function renderStep(lesson: Lesson, index: number, samples: ReadonlyMap<string, LoadedSample>): RenderedStep {
  const spec = lesson.steps[index];
  if (!spec) throw new Error(`${lesson.id} has no step ${index + 1}`);
  const facts = stepFacts(lesson, spec, samples);
  return {
    spec,
    index,
    sample: spec.sample ?? lesson.sample,
    facts,
    paragraphs: spec.text(facts),
    claims: spec.claims(facts),
  };
}
