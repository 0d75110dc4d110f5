'use client';

import { useState } from 'react';
import type { FlowReport } from '@/lib/verdict/verdict';
import { flowKey } from '@/lib/incident/client';
import { useComments, useDashboardActions, useShared } from '@/components/store/dashboard-store-provider';
import { Markdown } from '@/components/markdown/Markdown';

/**
 * The sharer's comment on a flow: written here before sharing, read here in a shared incident.
 * Keyed by the flow's endpoints, so it finds its flow in the colleague's own analysis.
 */
export function FlowComment({ flow }: { flow: FlowReport }) {
  const key = flowKey(flow);
  const comments = useComments();
  const shared = useShared();
  const { setComment } = useDashboardActions();
  const text = comments[key] ?? '';
  const [open, setOpen] = useState(false);

  if (shared) {
    if (!text) return null;
    return (
      <div data-testid="flow-comment" className="rounded-md border border-accent/40 bg-accent-soft/40 px-3 py-2">
        <h3 className="mb-1 text-xs font-semibold tracking-wide text-muted uppercase">The sharer&rsquo;s comment</h3>
        <Markdown text={text} className="text-sm" />
      </div>
    );
  }
  if (!open && !text) {
    return (
      <button type="button" onClick={() => setOpen(true)} className="text-xs text-accent underline" data-testid="flow-comment-add">
        Add a comment for sharing
      </button>
    );
  }
  return (
    <label className="block space-y-1">
      <span className="text-xs font-semibold tracking-wide text-muted uppercase">Comment for sharing (Markdown)</span>
      <textarea
        data-testid="flow-comment-input"
        value={text}
        rows={3}
        maxLength={10_000}
        autoFocus={open && !text}
        onChange={(e) => setComment(key, e.currentTarget.value)}
        placeholder="What a colleague should know about this flow"
        className="w-full rounded-md border border-border bg-panel-2 px-2 py-1.5 text-sm"
      />
    </label>
  );
}
