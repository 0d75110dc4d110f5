import { getIncidentFile } from '@/lib/incident/http';
import { incidentServer } from '@/lib/incident/server';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET(_req: Request, ctx: { params: Promise<{ id: string; index: string }> }): Promise<Response> {
  const { id, index } = await ctx.params;
  return getIncidentFile(id, index, incidentServer());
}
