// The host pool: import hosts (region, zone, rack, arch, CPU, memory, disks) and list them.
import { toHostInfo, toHostInput } from '../cluster-view.js';
import { ok, type ApiApp, type RouteDeps } from '../context.js';
import { errorResponses, HostListResponse, HostsImportBody, HostsImportResponse } from '../schemas.js';

export function resourceRoutes(app: ApiApp, deps: RouteDeps): void {
  app.post(
    '/api/v1/resources/hosts',
    {
      schema: {
        operationId: 'importHosts',
        tags: ['resources'],
        summary: 'Add hosts to the resource pool',
        description: 'All or nothing. A host whose IP is already in the pool keeps its id and data (importing twice is harmless).',
        body: HostsImportBody,
        response: { 200: HostsImportResponse, ...errorResponses },
      },
    },
    async (req) => {
      const hosts = await deps.store.addHosts(req.body.hosts.map(toHostInput));
      return ok({ hostIds: hosts.map((h) => h.id) });
    },
  );

  app.get(
    '/api/v1/resources/hosts',
    {
      schema: {
        operationId: 'listHosts',
        tags: ['resources'],
        summary: 'Hosts of the resource pool with what is free',
        response: { 200: HostListResponse, ...errorResponses },
      },
    },
    async () => ok({ hosts: (await deps.store.listHosts()).map(toHostInfo) }),
  );
}
