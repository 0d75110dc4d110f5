import { Dashboard } from '@/components/dashboard/Dashboard';
import { DashboardStoreProvider } from '@/components/store/dashboard-store-provider';

export default function Page() {
  return (
    <DashboardStoreProvider>
      <Dashboard />
    </DashboardStoreProvider>
  );
}
