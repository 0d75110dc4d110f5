import type { Metadata } from 'next';
import { CaptureInspector } from '@/components/capture-inspector/CaptureInspector';
import { InspectorStoreProvider } from '@/components/store/inspector-store-provider';

export const metadata: Metadata = { title: 'Capture inspector · Hopscope' };

export default function InspectPage() {
  return (
    <InspectorStoreProvider>
      <CaptureInspector />
    </InspectorStoreProvider>
  );
}
