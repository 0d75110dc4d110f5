'use client';

import { useEffect, useId, useState } from 'react';
import { useWindowFileDrop } from '@/components/drop/use-window-file-drop';
import { useInspectorActions } from '@/components/store/inspector-store-provider';

/** The whole window takes drops, so a file that misses the zone is read, not opened by the browser. */
export function DropZone() {
  const { addFiles } = useInspectorActions();
  const inputId = useId();
  const dragging = useWindowFileDrop((dt) => {
    const files = Array.from(dt.files);
    if (files.length) addFiles(files);
  });
  // The window's drop listeners are on once effects have run (the hook's first): a drag before
  // then is the browser's own. The page's tests wait for this before they drag.
  const [listening, setListening] = useState(false);
  useEffect(() => setListening(true), []);

  return (
    <div
      data-testid="drop-zone"
      data-dragging={dragging || undefined}
      data-listening={listening || undefined}
      className="flex min-h-36 flex-1 flex-col items-center justify-center gap-3 rounded-lg border-2 border-dashed border-border bg-panel px-6 py-8 text-center transition-colors data-dragging:border-accent data-dragging:bg-accent-soft"
    >
      <p className="text-base font-medium">Drop capture files here</p>
      <p className="text-sm text-muted">pcap, pcapng, or either one gzipped — several at once. Files stay in your browser.</p>
      <label
        htmlFor={inputId}
        className="cursor-pointer rounded-md bg-accent px-4 py-2 text-sm font-medium text-accent-fg shadow-sm hover:opacity-90 focus-within:outline-2 focus-within:outline-offset-2 focus-within:outline-accent"
      >
        Choose files…
        <input
          id={inputId}
          data-testid="file-input"
          type="file"
          multiple
          className="sr-only"
          onChange={(e) => {
            const files = Array.from(e.currentTarget.files ?? []);
            if (files.length) addFiles(files);
            // Picking the same file again must fire another change event.
            e.currentTarget.value = '';
          }}
        />
      </label>
    </div>
  );
}
