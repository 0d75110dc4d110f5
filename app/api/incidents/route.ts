import { createIncident } from '@/lib/incident/http';
import { incidentServer } from '@/lib/incident/server';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export function POST(req: Request): Promise<Response> {
  return createIncident(req, incidentServer());
}
