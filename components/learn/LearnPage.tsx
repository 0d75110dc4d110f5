'use client';

import { useCallback, useEffect, useMemo, useState } from 'react';
import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { Button, Panel, ToneBadge } from '@/components/dashboard/ui';
import { renderStep, type RenderedStep } from '@/lib/learn/compute';
import { LESSONS, lessonById, lessonSamples } from '@/lib/learn/lessons';
import { loadSample, sampleFile, type LoadedSample } from '@/lib/learn/sample';
import type { Lesson } from '@/lib/learn/types';
import { LayerTable, PacketBytes } from './PacketBytes';
import { TwoNodeDiagram } from './TwoNodeDiagram';
import './learn.css';

/** One fetch per sample per page load, shared by every lesson that reads it. */
const SAMPLES = new Map<string, Promise<LoadedSample>>();

function fetchSample(name: string): Promise<LoadedSample> {
  let p = SAMPLES.get(name);
  if (!p) {
    p = fetch(`/samples/${sampleFile(name)}`).then(async (r) => {
      if (!r.ok) throw new Error(`/samples/${sampleFile(name)}: HTTP ${r.status}`);
      return loadSample(name, [new Uint8Array(await r.arrayBuffer())]);
    });
    p.catch(() => SAMPLES.delete(name));
    SAMPLES.set(name, p);
  }
  return p;
}

type Loaded = { lesson: Lesson['id']; steps: RenderedStep[] } | { lesson: Lesson['id']; error: string };

function useLessonSteps(lesson: Lesson): Loaded | null {
  const [state, setState] = useState<Loaded | null>(null);
  useEffect(() => {
    let live = true;
    Promise.all(lessonSamples(lesson).map(async (n) => [n, await fetchSample(n)] as const))
      .then((pairs) => {
        const samples = new Map(pairs);
        const steps = lesson.steps.map((_, i) => renderStep(lesson, i, samples));
        if (live) setState({ lesson: lesson.id, steps });
      })
      .catch((e: unknown) => live && setState({ lesson: lesson.id, error: e instanceof Error ? e.message : String(e) }));
    return () => {
      live = false;
    };
  }, [lesson]);
  return state && state.lesson === lesson.id ? state : null;
}

/** The inline code spans of the lesson text (`ip route …`), nothing more. */
function Prose({ text }: { text: string }) {
  const parts = text.split(/`([^`]+)`/);
  return (
    <p className="leading-relaxed">
      {parts.map((p, i) =>
        i % 2 === 1 ? (
          <code key={i} className="rounded bg-panel-2 px-1 py-px font-mono text-[0.85em]">
            {p}
          </code>
        ) : (
          p
        ),
      )}
    </p>
  );
}

function Claims({ step, testPrefix }: { step: RenderedStep; testPrefix: string }) {
  const held = step.claims.filter((c) => c.holds).length;
  return (
    <div data-testid={`${testPrefix}step-claims`}>
      <h3 className="mb-1 text-xs font-semibold text-muted">
        Checked against the capture: {held} of {step.claims.length} hold
      </h3>
      <ul className="space-y-0.5 text-xs">
        {step.claims.map((c) => (
          <li key={c.text} data-holds={c.holds} className="flex gap-1.5">
            <span className={c.holds ? 'text-ok' : 'text-danger'} aria-hidden>
              {c.holds ? '✓' : '✗'}
            </span>
            <span>
              <span className="sr-only">{c.holds ? 'holds: ' : 'does not hold: '}</span>
              {c.text}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}

function CaptureLine({ step, testPrefix }: { step: RenderedStep; testPrefix: string }) {
  const s = step.facts.shown;
  return (
    <p data-testid={`${testPrefix}capture-file`} className="text-xs text-muted">
      <span className="font-mono text-fg">{sampleFile(step.sample)}</span> frame {s.frame}, interface{' '}
      <span className="font-mono text-fg">{s.station}</span> — the same packet is frame {s.stationFrame} of{' '}
      <span className="font-mono text-fg">
        sample-captures/{step.sample}/{s.file}
      </span>
      ; {s.capLen} bytes, link type {s.linkType === 1 ? 'Ethernet' : s.linkType === 101 ? 'raw IP' : s.linkType}.
    </p>
  );
}

function Verdict({ step, testPrefix }: { step: RenderedStep; testPrefix: string }) {
  const v = step.facts.verdict;
  if (!v) return null;
  return (
    <div data-testid={`${testPrefix}step-verdict`} className="rounded-md border border-border bg-panel-2 p-3 text-sm">
      <div className="mb-1 flex flex-wrap items-center gap-2">
        <span className="text-xs font-semibold text-muted">Hopscope’s verdict on {sampleFile(step.sample)}</span>
        <ToneBadge tone={v.kind === 'delivered' ? 'ok' : 'bad'}>{v.kind}</ToneBadge>
        <a href={`/?sample=${encodeURIComponent(step.sample)}`} className="learn-noprint text-xs text-accent underline underline-offset-2">
          Open {step.sample} in the dashboard
        </a>
      </div>
      <p>{v.summary}</p>
      {v.causes.length > 0 && (
        <ol className="mt-1 list-decimal pl-5 text-xs text-muted">
          {v.causes.slice(0, 3).map((c) => (
            <li key={c.text}>
              {c.text} — <code className="font-mono">{c.check}</code>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

function StepBody({
  lesson,
  step,
  testPrefix = '',
  onPick,
}: {
  lesson: Lesson;
  step: RenderedStep;
  testPrefix?: string;
  onPick?: (station: string) => void;
}) {
  const s = step.facts.shown;
  const counts = lesson.id === 'break-it' ? step.facts.walk[s.icmp?.type === 0 ? 'repliesAt' : 'requestsAt'] : undefined;
  return (
    <div className="space-y-4">
      <TwoNodeDiagram
        stations={lesson.stations}
        current={step.spec.station}
        underlay={lesson.underlay}
        counts={counts}
        onPick={onPick}
        testId={`${testPrefix}learn-diagram`}
      />
      <div className="grid gap-4 xl:grid-cols-[minmax(0,5fr)_minmax(0,6fr)]">
        <div className="space-y-3 text-sm">
          {step.paragraphs.map((p) => (
            <Prose key={p} text={p} />
          ))}
          <Verdict step={step} testPrefix={testPrefix} />
          <Claims step={step} testPrefix={testPrefix} />
        </div>
        <div className="space-y-3">
          <div className="flex flex-wrap items-baseline gap-x-3">
            <h3 className="text-sm font-semibold">
              Captured at <span data-testid={`${testPrefix}station-label`} className="font-mono">{s.station}</span>
            </h3>
            <CaptureLine step={step} testPrefix={testPrefix} />
          </div>
          <PacketBytes hex={s.hex} segments={s.segments} focus={step.spec.focus} testId={`${testPrefix}packet-hex`} />
          <LayerTable segments={s.segments} testId={`${testPrefix}layer-stack`} />
        </div>
      </div>
    </div>
  );
}

export function LearnPage() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const lesson = lessonById(params.get('lesson'));
  const loaded = useLessonSteps(lesson);
  const count = lesson.steps.length;
  const stepNo = Math.min(Math.max(1, Number.parseInt(params.get('step') ?? '1', 10) || 1), count);

  const go = useCallback(
    (lessonId: string, n: number) => {
      router.replace(`${pathname}?lesson=${lessonId}&step=${n}`, { scroll: false });
    },
    [router, pathname],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
      const t = e.target as HTMLElement | null;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
      if (e.key === 'ArrowRight' && stepNo < count) go(lesson.id, stepNo + 1);
      else if (e.key === 'ArrowLeft' && stepNo > 1) go(lesson.id, stepNo - 1);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [go, lesson.id, stepNo, count]);

  const steps = loaded && 'steps' in loaded ? loaded.steps : null;
  const step = steps?.[stepNo - 1];
  const allHold = useMemo(() => steps?.every((s) => s.claims.every((c) => c.holds)) ?? false, [steps]);

  return (
    <main className="learn mx-auto max-w-[1600px] space-y-4 p-5">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-xl font-semibold tracking-tight">See the encapsulation on real packets</h1>
          <p className="max-w-3xl text-sm text-muted">
            One ping, followed capture point by capture point through the lab’s sample captures. Every number below is read from the
            packets, and every claim is checked against them.
          </p>
        </div>
        <Button className="learn-noprint" onClick={() => window.print()}>
          Print this lesson
        </Button>
      </div>

      <nav aria-label="Lessons" className="learn-noprint flex flex-wrap gap-2" data-testid="lesson-picker">
        {LESSONS.map((l) => (
          <a
            key={l.id}
            href={`${pathname}?lesson=${l.id}&step=1`}
            onClick={(e) => {
              e.preventDefault();
              go(l.id, 1);
            }}
            aria-current={l.id === lesson.id ? 'page' : undefined}
            data-lesson={l.id}
            className="max-w-72 rounded-lg border border-border bg-panel px-3 py-2 text-sm hover:border-accent aria-[current=page]:border-accent aria-[current=page]:bg-accent-soft"
          >
            <span className="block font-semibold">{l.title}</span>
            <span className="block text-xs text-muted">{l.blurb}</span>
          </a>
        ))}
      </nav>

      <div className="learn-screen-only">
        <Panel
          title={
            <span>
              {lesson.title} · step {stepNo} of {count}
              {step ? `: ${step.spec.title}` : ''}
            </span>
          }
          actions={
            <div className="learn-noprint flex items-center gap-2">
              <Button data-testid="step-prev" disabled={stepNo <= 1} onClick={() => go(lesson.id, stepNo - 1)} aria-keyshortcuts="ArrowLeft">
                ← Previous
              </Button>
              <Button data-testid="step-next" disabled={stepNo >= count} onClick={() => go(lesson.id, stepNo + 1)} aria-keyshortcuts="ArrowRight">
                Next →
              </Button>
            </div>
          }
        >
          {stepNo === 1 && (
            <div className="mb-3 space-y-1 text-sm text-muted">
              {lesson.intro.map((p) => (
                <Prose key={p} text={p} />
              ))}
            </div>
          )}
          {!loaded && <p className="text-sm text-muted">Reading {lessonSamples(lesson).map(sampleFile).join(', ')}…</p>}
          {loaded && 'error' in loaded && (
            <p role="alert" className="text-sm text-danger">
              Could not read the sample: {loaded.error}. The samples are copied to public/samples/ by <code>npm run dev</code> and{' '}
              <code>npm run build</code>.
            </p>
          )}
          {step && (
            <section
              data-testid="learn-step"
              data-lesson={lesson.id}
              data-step={stepNo}
              data-station={step.facts.shown.station}
              data-sample={step.sample}
              data-frame={step.facts.shown.frame}
              data-claims-hold={step.claims.every((c) => c.holds)}
              aria-live="polite"
            >
              <StepBody
                lesson={lesson}
                step={step}
                onPick={(station) => {
                  // The first step at that station; the current one when it is there already.
                  if (station === step.spec.station) return;
                  const i = lesson.steps.findIndex((s) => s.station === station);
                  if (i >= 0) go(lesson.id, i + 1);
                }}
              />
            </section>
          )}
          <ol className="learn-noprint mt-4 flex flex-wrap gap-1 border-t border-border pt-3 text-xs" aria-label="Steps">
            {lesson.steps.map((s, i) => (
              <li key={s.id}>
                <button
                  type="button"
                  onClick={() => go(lesson.id, i + 1)}
                  aria-current={i + 1 === stepNo ? 'step' : undefined}
                  className="rounded border border-border px-2 py-0.5 text-muted hover:border-accent aria-[current=step]:border-accent aria-[current=step]:bg-accent-soft aria-[current=step]:text-fg"
                >
                  {i + 1}. {s.title}
                </button>
              </li>
            ))}
          </ol>
          <p className="learn-noprint mt-2 text-xs text-muted">
            Keys: ← and → move between steps. {steps && (allHold ? 'All claims in this lesson hold on its captures.' : 'Some claims do not hold: see the ✗ marks.')}
          </p>
        </Panel>
      </div>

      {steps && (
        <div className="learn-print-only space-y-6" aria-hidden>
          <h2 className="text-lg font-semibold">{lesson.title}</h2>
          {lesson.intro.map((p) => (
            <Prose key={p} text={p} />
          ))}
          {steps.map((s) => (
            <section key={s.spec.id} className="learn-print-step space-y-2 border-t border-border pt-3">
              <h3 className="font-semibold">
                {s.index + 1}. {s.spec.title}
              </h3>
              <StepBody lesson={lesson} step={s} testPrefix="print-" />
            </section>
          ))}
        </div>
      )}
    </main>
  );
}
