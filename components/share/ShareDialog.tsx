'use client';

import { useRef, useState } from 'react';
import { useAnalysis, useComments, useDashboardActions, useFiles, useShared } from '@/components/store/dashboard-store-provider';
import { Button, CopyButton, ProgressBar } from '@/components/dashboard/ui';
import { formatBytes } from '@/components/capture-inspector/format';
import { Markdown } from '@/components/markdown/Markdown';
import { deleteLink, rememberDeleteToken, ShareError, shareForm, uploadIncident, type ShareCreated } from '@/lib/incident/client';
import { errorMessage } from '@/components/store/inspector-store';

type Phase =
  | { step: 'form' }
  | { step: 'preparing'; done: number; total: number }
  | { step: 'uploading'; sent: number; total: number }
  | { step: 'done'; created: ShareCreated; headersOnly: boolean }
  | { step: 'error'; message: string };

/** "Share": what to send, then the upload's progress, then the link and the owner's delete link. */
export function ShareButton() {
  const files = useFiles();
  const shared = useShared();
  const ref = useRef<HTMLDialogElement>(null);
  // A fresh form each time the dialog opens: the title starts from the verdict of that moment.
  const [opened, setOpened] = useState(0);
  const loaded = files.filter((f) => f.status === 'loaded');
  if (shared) return null;
  return (
    <>
      <Button
        data-testid="share-open"
        disabled={loaded.length === 0}
        onClick={() => {
          setOpened((n) => n + 1);
          ref.current?.showModal();
        }}
        title="Upload these captures and get a link a colleague can open"
      >
        Share…
      </Button>
      <dialog
        ref={ref}
        aria-labelledby="share-title"
        data-testid="share-dialog"
        className="m-auto w-[min(40rem,calc(100vw-2rem))] rounded-xl border border-border bg-panel p-0 text-fg shadow-xl backdrop:bg-black/50"
      >
        {opened > 0 && <ShareForm key={opened} close={() => ref.current?.close()} />}
      </dialog>
    </>
  );
}

function ShareForm({ close }: { close: () => void }) {
  const files = useFiles();
  const comments = useComments();
  const analysis = useAnalysis();
  const { shareFiles } = useDashboardActions();
  const worst = analysis.report?.flows[0];
  const [headersOnly, setHeadersOnly] = useState(false);
  const [withState, setWithState] = useState(true);
  const [title, setTitle] = useState(worst ? worst.verdict.summary.slice(0, 200) : '');
  const [notes, setNotes] = useState('');
  const [preview, setPreview] = useState(false);
  const [phase, setPhase] = useState<Phase>({ step: 'form' });
  const abort = useRef<AbortController | null>(null);
  const loaded = files.filter((f) => f.status === 'loaded' && !f.state);
  const states = files.filter((f) => f.status === 'loaded' && f.state);
  const bytes = loaded.reduce((n, f) => n + f.size, 0);
  const commentList = Object.entries(comments).map(([flow, text]) => ({ flow, text }));
  const labelled = loaded.filter((f) => f.label).length;

  async function submit() {
    abort.current = new AbortController();
    try {
      setPhase({ step: 'preparing', done: 0, total: loaded.length });
      const shareable = await shareFiles(headersOnly, (done, total) => setPhase({ step: 'preparing', done, total }), withState && states.length > 0);
      const form = shareForm({ files: shareable, title, notes, comments: commentList, headersOnly });
      setPhase({ step: 'uploading', sent: 0, total: shareable.reduce((n, f) => n + f.blob.size, 0) });
      const created = await uploadIncident(form, (sent, total) => setPhase({ step: 'uploading', sent, total }), abort.current.signal);
      rememberDeleteToken(created.id, created.deleteToken);
      setPhase({ step: 'done', created, headersOnly });
    } catch (err) {
      setPhase({ step: 'error', message: err instanceof ShareError && err.status ? `${err.status}: ${err.message}` : errorMessage(err) });
    }
  }

  const busy = phase.step === 'preparing' || phase.step === 'uploading';
  return (
    <div className="flex max-h-[85vh] flex-col">
      <header className="flex items-center justify-between border-b border-border px-5 py-3">
        <h2 id="share-title" className="text-base font-semibold">
          Share this incident
        </h2>
        <Button variant="ghost" aria-label="Close" onClick={() => (busy ? abort.current?.abort() : close())}>
          {busy ? 'Cancel' : 'Close'}
        </Button>
      </header>
      <div className="space-y-4 overflow-y-auto px-5 py-4 text-sm">
        {phase.step === 'done' ? (
          <ShareResult created={phase.created} headersOnly={phase.headersOnly} />
        ) : (
          <>
            <fieldset className="space-y-2" disabled={busy}>
              <legend className="mb-1 font-medium">What to upload</legend>
              <label className="flex items-start gap-2">
                <input type="radio" name="what" className="mt-1" checked={!headersOnly} onChange={() => setHeadersOnly(false)} data-testid="share-full" />
                <span>
                  Full captures — {loaded.length} file{loaded.length === 1 ? '' : 's'}, {formatBytes(bytes)}, exactly as read here.
                </span>
              </label>
              <label className="flex items-start gap-2">
                <input type="radio" name="what" className="mt-1" checked={headersOnly} onChange={() => setHeadersOnly(true)} data-testid="share-headers-only" />
                <span>
                  Headers only — every packet is cut after its innermost TCP, UDP or ICMP header, here in this browser, before upload.{' '}
                  <strong>Payloads never leave this machine.</strong> Addresses, ports, the overlay headers and packet sizes still do, and the
                  analysis comes out the same.
                </span>
              </label>
              {states.length > 0 && (
                <label className="flex items-start gap-2">
                  <input type="checkbox" className="mt-1" checked={withState} onChange={(e) => setWithState(e.currentTarget.checked)} data-testid="share-state" />
                  <span>
                    With the recorded state of {states.map((f) => f.state!.node).join(', ')}: routes, neighbours, firewall rules, sysctls and
                    counters, so the link shows the causes checked against them.
                  </span>
                </label>
              )}
            </fieldset>
            <label className="block space-y-1">
              <span className="font-medium">Title</span>
              <input
                data-testid="share-title"
                value={title}
                maxLength={200}
                disabled={busy}
                onChange={(e) => setTitle(e.currentTarget.value)}
                className="w-full rounded-md border border-border bg-panel-2 px-2 py-1.5"
              />
            </label>
            <div className="space-y-1">
              <div className="flex items-center justify-between">
                <label htmlFor="share-notes" className="font-medium">
                  Notes <span className="font-normal text-muted">(Markdown)</span>
                </label>
                <Button variant="ghost" className="py-0.5! text-xs" onClick={() => setPreview(!preview)} aria-pressed={preview}>
                  {preview ? 'Edit' : 'Preview'}
                </Button>
              </div>
              {preview ? (
                <div className="min-h-28 rounded-md border border-border bg-panel-2 px-3 py-2">
                  {notes.trim() ? <Markdown text={notes} /> : <p className="text-muted">Nothing written yet.</p>}
                </div>
              ) : (
                <textarea
                  id="share-notes"
                  data-testid="share-notes"
                  value={notes}
                  disabled={busy}
                  maxLength={100_000}
                  rows={6}
                  placeholder={'What you tried, what you expected, what the cluster runs…\n\n- flannel 0.26, VXLAN\n- `iptables -S FORWARD` attached below'}
                  onChange={(e) => setNotes(e.currentTarget.value)}
                  className="w-full rounded-md border border-border bg-panel-2 px-2 py-1.5 font-mono text-xs"
                />
              )}
            </div>
            <p className="text-muted">
              Also shared: the capture point of each file ({labelled} set by hand, the rest from file and interface names) and{' '}
              {commentList.length === 0 ? 'no flow comments (write them in the verdict card)' : `${commentList.length} flow comment${commentList.length === 1 ? '' : 's'}`}.
              Anyone with the link can open it until it expires.
            </p>
            {phase.step === 'preparing' && (
              <div className="space-y-1" data-testid="share-progress">
                <p className="text-xs text-muted">
                  Cutting packets to headers: file {Math.min(phase.done + 1, phase.total)} of {phase.total}
                </p>
                <ProgressBar value={phase.done} max={phase.total} label="Cutting packets to headers" />
              </div>
            )}
            {phase.step === 'uploading' && (
              <div className="space-y-1" data-testid="share-progress">
                <p className="text-xs text-muted">
                  Uploading {formatBytes(phase.sent)} of {formatBytes(phase.total)}
                </p>
                <ProgressBar value={phase.sent} max={phase.total || 1} label="Uploading" />
              </div>
            )}
            {phase.step === 'error' && (
              <p role="alert" data-testid="share-error" className="rounded-md border border-danger/40 bg-danger-soft px-3 py-2 text-danger">
                {phase.message}
              </p>
            )}
          </>
        )}
      </div>
      {phase.step !== 'done' && (
        <footer className="flex justify-end gap-2 border-t border-border px-5 py-3">
          <Button variant="primary" data-testid="share-submit" disabled={busy || loaded.length === 0} onClick={() => void submit()}>
            {busy ? 'Sharing…' : 'Upload and get a link'}
          </Button>
        </footer>
      )}
    </div>
  );
}

function ShareResult({ created, headersOnly }: { created: ShareCreated; headersOnly: boolean }) {
  const del = deleteLink(created.url, created.deleteToken);
  return (
    <div className="space-y-4" data-testid="share-result">
      <div className="space-y-1">
        <p className="font-medium">Link to the incident</p>
        <div className="flex gap-2">
          <input readOnly value={created.url} data-testid="share-link" className="min-w-0 flex-1 rounded-md border border-border bg-panel-2 px-2 py-1.5 font-mono text-xs" onFocus={(e) => e.currentTarget.select()} />
          <CopyButton text={created.url} label="Copy link" />
        </div>
        <p className="text-xs text-muted">
          {headersOnly ? 'Headers only were uploaded. ' : ''}It expires on {new Date(created.expiresAt).toUTCString()}.
        </p>
      </div>
      <div className="space-y-1">
        <p className="font-medium">Delete link — keep it to yourself</p>
        <div className="flex gap-2">
          <input readOnly value={del} data-testid="share-delete-link" className="min-w-0 flex-1 rounded-md border border-border bg-panel-2 px-2 py-1.5 font-mono text-xs" onFocus={(e) => e.currentTarget.select()} />
          <CopyButton text={del} label="Copy" />
        </div>
        <p className="text-xs text-muted">Whoever opens it can delete the incident. This browser remembers it too.</p>
      </div>
      {created.warnings.length > 0 && (
        <ul className="list-disc space-y-1 pl-5 text-xs text-warn">
          {created.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
      <a href={created.url} className="inline-block text-accent underline" data-testid="share-open-link">
        Open the shared incident
      </a>
    </div>
  );
}
