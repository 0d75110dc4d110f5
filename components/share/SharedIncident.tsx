'use client';

import { useEffect, useState } from 'react';
import { Dashboard } from '@/components/dashboard/Dashboard';
import { Button, ProgressBar } from '@/components/dashboard/ui';
import { formatBytes } from '@/components/capture-inspector/format';
import { Markdown } from '@/components/markdown/Markdown';
import { useDashboardActions, useFiles, useSharedDownload } from '@/components/store/dashboard-store-provider';
import { errorMessage } from '@/components/store/inspector-store';
import { deleteSharedIncident, forgetDeleteToken, rememberDeleteToken, rememberedDeleteToken } from '@/lib/incident/client';
import type { IncidentMeta } from '@/lib/incident/types';

function daysLeft(iso: string): string {
  const ms = Date.parse(iso) - Date.now();
  const days = Math.floor(ms / 86_400_000);
  if (days >= 2) return `in ${days} days`;
  const hours = Math.max(0, Math.floor(ms / 3_600_000));
  return hours >= 1 ? `in ${hours} hour${hours === 1 ? '' : 's'}` : 'within the hour';
}

/** The owner's token: from a delete link's fragment (then kept), or kept from sharing here. */
function useDeleteToken(id: string): string | null {
  const [token, setToken] = useState<string | null>(null);
  useEffect(() => {
    const m = /(?:^#|&)delete=([^&]+)/.exec(window.location.hash);
    if (m) {
      const t = decodeURIComponent(m[1]!);
      rememberDeleteToken(id, t);
      // The token leaves the address bar so a copied link never carries it.
      window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
      setToken(t);
      return;
    }
    setToken(rememberedDeleteToken(id));
  }, [id]);
  return token;
}

export function SharedIncident({ meta }: { meta: IncidentMeta }) {
  const { openShared } = useDashboardActions();
  const download = useSharedDownload();
  const files = useFiles();
  const token = useDeleteToken(meta.id);
  const [deleted, setDeleted] = useState<'no' | 'asking' | 'deleting' | 'yes'>('no');
  const [deleteError, setDeleteError] = useState<string | null>(null);

  useEffect(() => {
    void openShared(meta);
  }, [openShared, meta]);

  async function remove() {
    if (!token) return;
    setDeleted('deleting');
    try {
      await deleteSharedIncident(meta.id, token);
      forgetDeleteToken(meta.id);
      setDeleted('yes');
    } catch (err) {
      setDeleteError(errorMessage(err));
      setDeleted('no');
    }
  }

  if (deleted === 'yes') {
    return (
      <main className="mx-auto max-w-2xl px-5 py-16" data-testid="incident-deleted">
        <h1 className="text-xl font-semibold">Incident deleted</h1>
        <p className="mt-3 text-muted">Its captures and notes are gone from the server; the link now says so.</p>
      </main>
    );
  }

  const total = meta.files.reduce((n, f) => n + f.size, 0);
  return (
    <>
      <section data-testid="shared-banner" aria-label="Shared incident" className="mx-5 mt-4 rounded-lg border border-accent/40 bg-panel">
        <div className="flex flex-wrap items-start gap-x-6 gap-y-3 px-4 py-3">
          <div className="min-w-0 flex-1 space-y-1">
            <p className="text-xs font-semibold tracking-wide text-accent uppercase">Shared incident</p>
            <h1 data-testid="shared-title" className="text-lg font-semibold break-words">
              {meta.title || 'Untitled incident'}
            </h1>
            <p className="text-sm text-muted">
              Shared {new Date(meta.createdAt).toUTCString()} · <span data-testid="shared-expires">expires {new Date(meta.expiresAt).toUTCString()} ({daysLeft(meta.expiresAt)})</span>
              {meta.headersOnly && <> · headers only: payloads were cut off before upload</>}
            </p>
            <p className="text-sm text-muted">
              The captures were downloaded and are analysed in this browser, with the capture points the sharer set.
            </p>
          </div>
          <div className="flex flex-col items-end gap-2">
            <details className="text-sm">
              <summary className="cursor-pointer text-accent">
                Download the captures ({meta.files.length} file{meta.files.length === 1 ? '' : 's'}, {formatBytes(total)})
              </summary>
              <ul className="mt-2 space-y-1" data-testid="shared-files">
                {meta.files.map((f, i) => (
                  <li key={f.sha256 + i} className="font-mono text-xs">
                    <a href={`/api/incidents/${meta.id}/files/${i}`} download={f.name} className="underline">
                      {f.name}
                    </a>{' '}
                    <span className="text-muted">
                      {formatBytes(f.size)}
                      {f.node && f.interface ? ` · ${f.node}/${f.interface}` : ''}
                    </span>
                  </li>
                ))}
              </ul>
            </details>
            {token &&
              (deleted === 'asking' ? (
                <div className="flex items-center gap-2 text-sm">
                  <span>Delete it for everyone?</span>
                  <Button variant="danger" data-testid="shared-delete-confirm" onClick={() => void remove()}>
                    Delete
                  </Button>
                  <Button variant="ghost" onClick={() => setDeleted('no')}>
                    Keep
                  </Button>
                </div>
              ) : (
                <Button variant="danger" data-testid="shared-delete" disabled={deleted === 'deleting'} onClick={() => setDeleted('asking')}>
                  {deleted === 'deleting' ? 'Deleting…' : 'Delete this incident'}
                </Button>
              ))}
          </div>
        </div>
        {deleteError && (
          <p role="alert" className="border-t border-border px-4 py-2 text-sm text-danger">
            {deleteError}
          </p>
        )}
        {meta.warnings.length > 0 && (
          <ul className="border-t border-border px-4 py-2 text-xs text-warn">
            {meta.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        )}
        {meta.notes.trim() && (
          <div data-testid="shared-notes" className="border-t border-border px-4 py-3">
            <Markdown text={meta.notes} className="text-sm" />
          </div>
        )}
      </section>
      {download ? (
        <div className="mx-5 mt-4 space-y-2 rounded-lg border border-border bg-panel px-4 py-3" data-testid="shared-download">
          {download.error ? (
            <p role="alert" className="text-sm text-danger">
              {download.error}
            </p>
          ) : (
            <>
              <p className="text-sm text-muted">
                Downloading the captures: {formatBytes(download.done)} of {formatBytes(download.total)}
              </p>
              <ProgressBar value={download.done} max={download.total || 1} label="Downloading the captures" />
            </>
          )}
        </div>
      ) : (
        files.length > 0 && <Dashboard />
      )}
    </>
  );
}
