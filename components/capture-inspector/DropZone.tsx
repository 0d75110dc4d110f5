'use client';

import { useEffect, useId, useRef, useState } from 'react';
import { useInspectorActions } from '@/components/store/inspector-store-provider';

function hasFiles(e: DragEvent): boolean {
  return Array.from(e.dataTransfer?.types ?? []).includes('Files');
}

/** The whole window takes drops, so a file that misses the zone is read, not opened by the browser. */
export function DropZone() {
  const { addFiles } = useInspectorActions();
  const [dragging, setDragging] = useState(false);
  const depth = useRef(0);
  const inputId = useId();

  useEffect(() => {
    const onEnter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth.current++;
      setDragging(true);
    };
    const onOver = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const onLeave = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setDragging(false);
    };
    const onDrop = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth.current = 0;
      setDragging(false);
      const files = Array.from(e.dataTransfer?.files ?? []);
      if (files.length) addFiles(files);
    };
    window.addEventListener('dragenter', onEnter);
    window.addEventListener('dragover', onOver);
    window.addEventListener('dragleave', onLeave);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragenter', onEnter);
      window.removeEventListener('dragover', onOver);
      window.removeEventListener('dragleave', onLeave);
      window.removeEventListener('drop', onDrop);
    };
  }, [addFiles]);

  return (
    <div
      data-testid="drop-zone"
      data-dragging={dragging || undefined}
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
