import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { cache } from 'react';
import { DashboardStoreProvider } from '@/components/store/dashboard-store-provider';
import { SharedIncident } from '@/components/share/SharedIncident';
import { parseIncidentId } from '@/lib/incident/ids';
import { incidentServer } from '@/lib/incident/server';
import type { LookupResult } from '@/lib/incident/types';

export const dynamic = 'force-dynamic';

type Props = { params: Promise<{ id: string }> };

/** One store lookup per request: the metadata and the page both ask. */
const lookup = cache(async (raw: string): Promise<LookupResult> => {
  const id = parseIncidentId(raw);
  if (!id) return { state: 'missing' };
  return (await incidentServer().store).get(id, Date.now());
});

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const got = await lookup((await params).id);
  const title = got.state === 'found' ? got.incident.title || 'Shared incident' : 'Shared incident';
  // A link pasted into chat should not unfurl the title for the whole channel's crawler.
  return { title: `${title} · Hopscope`, robots: { index: false, follow: false } };
}

/** A shared incident: the server sends what was shared; the browser downloads and analyses it. */
export default async function SharedIncidentPage({ params }: Props) {
  const got = await lookup((await params).id);
  if (got.state === 'missing') notFound();
  if (got.state === 'expired') {
    return (
      <main className="mx-auto max-w-2xl px-5 py-16" data-testid="incident-expired">
        <h1 className="text-xl font-semibold">This shared incident has expired</h1>
        <p className="mt-3 text-muted">
          It expired on {new Date(got.expiresAt).toUTCString()}, and its captures were deleted. Ask whoever shared it to share it again.
        </p>
      </main>
    );
  }
  return (
    <DashboardStoreProvider>
      <SharedIncident meta={got.incident} />
    </DashboardStoreProvider>
  );
}
