'use client';

import type { FlowReport } from '@/lib/verdict/verdict';
import { checksInOrder, flowTitle, VERDICT_TITLES } from '@/lib/report/markdown';
import { flowBadge } from '@/lib/viz/flow-list';
import { quoteCutNote } from '@/lib/verdict/evidence';
import { CopyButton, Panel, ToneBadge } from './ui';
import { FlowComment } from '@/components/share/FlowComment';

/** What a flow's verdict says as plain text, for the clipboard: a ticket or a chat. */

/** Confirmed is the finding; ruled out clears a suspect; not checkable says what the state could not tell. */
const CHECK_STYLE: Record<'confirmed' | 'ruled out' | 'not checkable', string> = {
  confirmed: 'border-danger bg-danger-soft text-danger',
  'ruled out': 'border-ok bg-ok-soft text-ok',
  'not checkable': 'border-warn bg-warn-soft text-warn',
};
export function verdictText(f: FlowReport): string {
  const lines = [`${flowTitle(f)}: ${VERDICT_TITLES[f.verdict.kind]}`, f.verdict.summary];
  if (f.verdict.transition) lines.push(`Where: ${f.verdict.transition}`);
  if (f.verdict.causes.length) {
    lines.push('', 'Likely causes, and what to check:');
    for (const c of f.verdict.causes) lines.push(`- ${c.text}`, `  $ ${c.check}`);
  }
  lines.push('', `Why: rule ${f.verdict.rule.name} — ${f.verdict.rule.description}`, ...f.verdict.rule.evidence.map((e) => `- ${e}`));
  return lines.join('\n');
}

export function VerdictCard({ flow, className = '' }: { flow: FlowReport | null; className?: string }) {
  if (!flow) {
    return (
      <Panel title="Verdict" className={className} data-testid="verdict-card">
        <p className="text-sm text-muted">Pick a flow to see where its packets stop.</p>
      </Panel>
    );
  }
  const v = flow.verdict;
  const badge = flowBadge(flow);
  const stop = flow.requestsStopAfter ?? flow.repliesStopAfter;
  return (
    <Panel
      title="Verdict"
      actions={<CopyButton text={verdictText(flow)} label="Copy verdict" />}
      className={className}
      data-testid="verdict-card"
      data-kind={v.kind}
      data-stop={stop ?? ''}
      bodyClassName="p-4 @container"
      aria-label="Verdict"
    >
      <div className="space-y-3">
        <div className="flex flex-wrap items-center gap-2">
          <ToneBadge tone={badge.tone} className="px-2! py-0.5! text-sm!">
            {VERDICT_TITLES[v.kind]}
          </ToneBadge>
          <span className="font-mono text-xs text-muted">{flowTitle(flow)}</span>
        </div>
        <p data-testid="verdict-summary" className="text-[15px] leading-snug font-medium">
          {v.summary}
        </p>
        {(flow.requestsStopAfter || flow.repliesStopAfter || v.transition) && (
          <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
            {flow.requestsStopAfter && (
              <>
                <dt className="text-muted">Requests stop after</dt>
                <dd data-testid="requests-stop" className="font-mono text-danger">
                  {flow.requestsStopAfter}
                </dd>
              </>
            )}
            {flow.repliesStopAfter && (
              <>
                <dt className="text-muted">Replies stop after</dt>
                <dd data-testid="replies-stop" className="font-mono text-danger">
                  {flow.repliesStopAfter}
                </dd>
              </>
            )}
            {v.transition && (
              <>
                <dt className="text-muted">Transition</dt>
                <dd data-testid="verdict-transition">{v.transition}</dd>
              </>
            )}
          </dl>
        )}
        {flow.translations.length > 0 && (
          <ul className="space-y-1 text-xs">
            {flow.translations.map((t) => (
              <li key={`${t.at}${t.kind}`} className="rounded border border-border bg-panel-2 px-2 py-1">
                <span className="font-semibold">{t.kind}</span> at <span className="font-mono">{t.at}</span>:{' '}
                <span className="font-mono">{t.from}</span> ⇒ <span className="font-mono">{t.to}</span>
              </li>
            ))}
          </ul>
        )}
        {flow.icmpErrors.length > 0 && (
          <ul className="space-y-1 text-xs">
            {flow.icmpErrors.map((e) => (
              <li key={`${e.from}${e.type}${e.code}`} className="rounded border border-warn/40 bg-warn-soft px-2 py-1 text-warn">
                ICMP {e.meaning} from <span className="font-mono">{e.from}</span>, seen at <span className="font-mono">{e.at}</span>
                {e.mtu ? ` (MTU ${e.mtu})` : ''} ×{e.count}
                {quoteCutNote(e)}
              </li>
            ))}
          </ul>
        )}
        {flow.checks.length > 0 && (
          <div data-testid="verdict-checks">
            <h3 className="mb-1.5 text-xs font-semibold tracking-wide text-muted uppercase">Checked on the nodes&apos; recorded state</h3>
            <ul className="space-y-1.5">
              {checksInOrder(flow.checks).map((c, i) => (
                <li key={i} className="text-sm" data-status={c.status}>
                  <span className={`mr-2 inline-block rounded border px-1.5 py-px text-[11px] font-semibold uppercase ${CHECK_STYLE[c.status]}`}>{c.status}</span>
                  {c.node}: {c.cause}
                  <code className="mt-0.5 block font-mono text-xs break-all text-muted">{c.evidence}</code>
                </li>
              ))}
            </ul>
          </div>
        )}
        {v.causes.length > 0 && (
          <div>
            <h3 className="mb-1.5 text-xs font-semibold tracking-wide text-muted uppercase">Likely causes, and what to check</h3>
            <ol className="grid gap-x-5 gap-y-3 @3xl:grid-cols-2" data-testid="verdict-causes">
              {v.causes.map((c, i) => (
                <li key={i} className="text-sm">
                  <p>
                    <span className="mr-1 text-muted">{i + 1}.</span>
                    {c.text}
                  </p>
                  <div className="mt-1 flex items-start gap-2 rounded-md border border-border bg-panel-2 px-2 py-1.5">
                    <code className="min-w-0 flex-1 font-mono text-xs break-all whitespace-pre-wrap">{c.check}</code>
                    <CopyButton text={c.check} />
                  </div>
                </li>
              ))}
            </ol>
          </div>
        )}
        <details className="text-sm" data-testid="verdict-why">
          <summary className="cursor-pointer text-xs font-semibold tracking-wide text-muted uppercase">
            Why this verdict: rule <code className="font-mono normal-case">{v.rule.name}</code>
          </summary>
          <p className="mt-1 text-muted">{v.rule.description}</p>
          <ul className="mt-1 list-disc space-y-0.5 pl-5 font-mono text-xs" data-testid="verdict-evidence">
            {v.rule.evidence.map((e, i) => (
              <li key={i}>{e}</li>
            ))}
          </ul>
        </details>
        {flow.notCaptured.length > 0 && (
          <p className="text-xs text-muted">
            Not captured on the path: {flow.notCaptured.map((u) => `${u.node}/${u.interface}`).join(', ')}.
          </p>
        )}
        {flow.offPath.length > 0 && (
          <p className="text-xs text-muted" data-testid="verdict-off-path">
            Not on this flow&apos;s path (no evidence either way): {flow.offPath.map((o) => `${o.node}/${o.interface} — ${o.why}`).join('; ')}.
          </p>
        )}
        <FlowComment flow={flow} />
      </div>
    </Panel>
  );
}
