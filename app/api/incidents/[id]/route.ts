import { deleteIncident, getIncident } from '@/lib/incident/http';
import { incidentServer } from '@/lib/incident/server';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Ctx = { params: Promise<{ id: string }> };

export async function GET(_req: Request, ctx: Ctx): Promise<Response> {
  return getIncident((await ctx.params).id, incidentServer());
}

export async function DELETE(req: Request, ctx: Ctx): Promise<Response> {
  return deleteIncident(req, (await ctx.params).id, incidentServer());
}
