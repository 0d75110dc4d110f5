'use client';

import { useEffect, useId, useRef, useState } from 'react';
import { useDashboardActions } from '@/components/store/dashboard-store-provider';
import { fromDataTransfer, fromFileList, type Picked } from './drop-files';

function hasFiles(e: DragEvent): boolean {
  return Array.from(e.dataTransfer?.types ?? []).includes('Files');
}

/** Adds what was picked and tells about the files a folder held that are not captures. */
function useAdd(): (p: Picked) => void {
  const { addFiles } = useDashboardActions();
  return (p) => {
    if (p.files.length) addFiles(p.files);
  };
}

/**
 * The whole window takes drops (files and folders), so a file that misses the zone is read, not
 * opened by the browser. Returns whether a drag is over the window.
 */
export function useWindowDrop(): boolean {
  const add = useAdd();
  const addRef = useRef(add);
  addRef.current = add;
  const [dragging, setDragging] = useState(false);
  useEffect(() => {
    let depth = 0;
    const onEnter = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth++;
      setDragging(true);
    };
    const onOver = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const onLeave = (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const onDrop = (e: DragEvent) => {
      if (!hasFiles(e) || !e.dataTransfer) return;
      e.preventDefault();
      depth = 0;
      setDragging(false);
      // Entries must be taken while the event runs; the walk itself may take longer.
      void fromDataTransfer(e.dataTransfer).then((p) => addRef.current(p));
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
  }, []);
  return dragging;
}

const PICK =
  'inline-flex cursor-pointer items-center justify-center gap-1.5 rounded-md px-3 py-1.5 text-sm font-medium whitespace-nowrap focus-within:outline-2 focus-within:outline-offset-2 focus-within:outline-accent';

/** "Add files…" and "Add folder…": labels around hidden inputs, reachable by keyboard. */
export function FilePickers({ primary = false }: { primary?: boolean }) {
  const add = useAdd();
  const filesId = useId();
  const folderId = useId();
  const tone = primary ? 'bg-accent text-accent-fg shadow-sm hover:opacity-90' : 'border border-border bg-panel-2 hover:border-accent';
  return (
    <>
      <label htmlFor={filesId} className={`${PICK} ${tone}`}>
        {primary ? 'Choose files…' : 'Add files…'}
        <input
          id={filesId}
          data-testid="file-input"
          type="file"
          multiple
          className="sr-only"
          onChange={(e) => {
            add(fromFileList(Array.from(e.currentTarget.files ?? [])));
            // Picking the same file again must fire another change event.
            e.currentTarget.value = '';
          }}
        />
      </label>
      <label htmlFor={folderId} className={`${PICK} border border-border bg-panel-2 hover:border-accent`}>
        {primary ? 'Choose a folder…' : 'Add folder…'}
        <input
          id={folderId}
          data-testid="folder-input"
          type="file"
          multiple
          className="sr-only"
          // React has no typed prop for it; Chromium, Firefox and Safari all read the attribute.
          ref={(el) => el?.setAttribute('webkitdirectory', '')}
          onChange={(e) => {
            add(fromFileList(Array.from(e.currentTarget.files ?? [])));
            e.currentTarget.value = '';
          }}
        />
      </label>
    </>
  );
}
