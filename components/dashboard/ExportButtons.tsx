'use client';

import { useAnalysis, useFiles, useSampleName, useSamples } from '@/components/store/dashboard-store-provider';
import { reportMarkdown } from '@/lib/report/markdown';
import { reportJsonText } from '@/lib/report/report-json';
import { sampleName } from '@/lib/viz/url-state';
import { Button, downloadBlob } from './ui';

/** The report as Markdown, and as the JSON of `hopscope analyze --json`. */
export function ExportReportButtons() {
  const { report, flowsToCome } = useAnalysis();
  // Only the whole report is written out: for a moment after the verdict, the rest of the flows are on their way.
  const ready = report !== null && flowsToCome === 0;
  const why = report && !ready ? 'The rest of the flows are on their way' : undefined;
  const sample = useSampleName();
  const samples = useSamples();
  const files = useFiles();
  const base = sample ?? 'hopscope-report';
  const title =
    (sample && samples.status === 'ready' ? samples.entries.find((e) => sampleName(e.file) === sample)?.title : undefined) ??
    (files.length === 1 ? files[0]!.name : undefined);
  return (
    <div role="group" aria-label="Export the report" className="flex items-center gap-1">
      <Button
        disabled={!ready}
        title={why}
        onClick={() => report && ready && downloadBlob(new Blob([reportMarkdown(report, { title, generatedAt: new Date() })], { type: 'text/markdown' }), `${base}.md`)}
      >
        Report .md
      </Button>
      <Button
        disabled={!ready}
        title={why}
        onClick={() => report && ready && downloadBlob(new Blob([reportJsonText(report)], { type: 'application/json' }), `${base}.json`)}
      >
        .json
      </Button>
    </div>
  );
}
