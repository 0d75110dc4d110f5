import { CaptureInspector } from '@/components/capture-inspector/CaptureInspector';
import { InspectorStoreProvider } from '@/components/store/inspector-store-provider';

export default function Page() {
  return (
    <InspectorStoreProvider>
      <CaptureInspector />
    </InspectorStoreProvider>
  );
}
