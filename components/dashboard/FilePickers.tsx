'use client';

import { useId } from 'react';
import { useWindowFileDrop } from '@/components/drop/use-window-file-drop';
import { useDashboardActions } from '@/components/store/dashboard-store-provider';
import { fromDataTransfer, fromFileList, type Picked } from './drop-files';

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
  // Entries must be taken while the event runs; the walk itself may take longer.
  return useWindowFileDrop((dt) => void fromDataTransfer(dt).then(add));
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
