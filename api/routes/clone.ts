// POST /api/v1/clusters/clone — TiEM's clone request, answered synchronously (spec §3).
import { TiemError } from '../../domain/errors.js';
import type { CloneClusterRequest } from '../../domain/types.js';
import { httpStatusOf, validateCloneRequestShape } from '../../domain/validation.js';
import { AdmissionRejectedError } from '../../client/admission.js';
import { precheckClone, startClone } from '../../client/clone.js';
import { ok, type ApiApp, type RouteDeps } from '../context.js';
import { ApiError, validationError } from '../errors.js';
import { CloneOrPreflightResponse, CloneRequestBody, errorResponses } from '../schemas.js';

export function cloneRoutes(app: ApiApp, deps: RouteDeps): void {
  /** The domain validator's clean copy, per request, from preValidation to the handler. */
  const validated = new WeakMap<object, CloneClusterRequest>();
  app.post(
    '/api/v1/clusters/clone',
    {
      // The schema is checked too, but answered after the domain validator: TiEM's code (10004
      // for a wrong JSON type, 10001 for a broken rule) and message come from the first failing rule.
      attachValidation: true,
      // Before the schema: its size bounds come first, so an oversized list is refused before the
      // schema validator walks (and reports on) every element.
      preValidation: async (req) => {
        try {
          validated.set(req, validateCloneRequestShape(req.body));
        } catch (err) {
          if (err instanceof TiemError) throw ApiError.fromTiem(err);
          throw err;
        }
      },
      schema: {
        operationId: 'cloneCluster',
        tags: ['clusters'],
        summary: 'Clone a cluster (TiEM)',
        description:
          'Validation, the duplicate-name check and the maintenance locks are answered synchronously with the TiEM codes of spec §3. ' +
          'A rejected request leaves nothing behind. The same `requestId` returns the same clone. ' +
          'With `dryRun: true` nothing is created: the answer lists every problem found and the plan (steps, hosts).',
        body: CloneRequestBody,
        response: { 200: CloneOrPreflightResponse, ...errorResponses },
      },
    },
    async (req) => {
      const request = validated.get(req);
      if (!request) throw new Error('clone request not validated'); // preValidation always sets it
      if (req.validationError) throw validationError('body', req.validationError.validation ?? []);
      if (req.body.dryRun) return ok({ dryRun: true as const, ...(await precheckClone(deps.client, request, { taskQueue: deps.taskQueue })) });
      // Admission (source checks, duplicate name, locks, the target row) runs inside the clone
      // workflow, which answers through an update: the API holds no state between starting the
      // workflow and answering, so an API crash in between cannot leave a lock or a row behind.
      try {
        const started = await startClone(deps.client, request, {
          taskQueue: deps.taskQueue,
          options: req.body.destroyOnFailure ? { destroyOnFailure: true } : undefined,
        });
        return ok({ workFlowId: started.workflowId, clusterId: started.clusterId });
      } catch (err) {
        if (err instanceof AdmissionRejectedError) throw new ApiError(httpStatusOf(err), err.code, err.message);
        throw err;
      }
    },
  );
}
