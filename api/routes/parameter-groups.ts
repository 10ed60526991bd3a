// Parameter groups as TiEM serves them (pingcap/tiunimanager micro-api/controller/parametergroup/
// parametergroup_api.go): list with its filters and page, detail, and creating a custom group.
import { randomUUID } from 'node:crypto';
import { TiemError } from '../../domain/errors.js';
import { parameterValueProblem } from '../../domain/parameters.js';
import type { ParameterGroupParam } from '../../metadata/types.js';
import { ok, type ApiApp, type RouteDeps } from '../context.js';
import { definitionOfParamId, toParameterGroupInfo } from '../parameter-group-view.js';
import {
  CreateParameterGroupBody,
  errorResponses,
  ParameterGroupIdParams,
  ParameterGroupIdResponse,
  ParameterGroupListQuery,
  ParameterGroupListResponse,
  ParameterGroupResponse,
} from '../schemas.js';

const invalid = (message: string) => new TiemError('PARAMETER_INVALID', message);

export function parameterGroupRoutes(app: ApiApp, deps: RouteDeps): void {
  app.get(
    '/api/v1/param-groups/',
    {
      schema: {
        operationId: 'queryParameterGroups',
        tags: ['parameter groups'],
        summary: 'List parameter groups (TiEM)',
        description: 'Defaults first, then the newest. name: a substring; clusterVersion: the minor version; hasDefault 1 default, 2 custom; params only with hasDetail.',
        querystring: ParameterGroupListQuery,
        response: { 200: ParameterGroupListResponse, ...errorResponses },
      },
    },
    async (req) => {
      const { page = 1, pageSize = 20, name, dbType, hasDefault, clusterVersion, clusterSpec, hasDetail } = req.query;
      // Only TiDB groups exist (dbType 2 is DM).
      let groups = dbType === 2 ? [] : await deps.store.listParameterGroups({ clusterVersion, name, isDefault: hasDefault ? hasDefault === 1 : undefined });
      if (clusterSpec) groups = groups.filter((g) => (g.clusterSpec ?? '') === clusterSpec || g.isDefault);
      const rows = groups.slice((page - 1) * pageSize, page * pageSize).map((g) => toParameterGroupInfo(g, hasDetail === true));
      return { ...ok(rows), page: { page, pageSize, total: groups.length } };
    },
  );

  app.get(
    '/api/v1/param-groups/:paramGroupId',
    {
      schema: {
        operationId: 'getParameterGroup',
        tags: ['parameter groups'],
        summary: 'One parameter group with its parameters (TiEM)',
        params: ParameterGroupIdParams,
        response: { 200: ParameterGroupResponse, ...errorResponses },
      },
    },
    async (req) => {
      const g = await deps.store.getParameterGroup(req.params.paramGroupId);
      if (!g) throw new TiemError('PARAMETER_GROUP_DETAIL_ERROR', `parameter group ${req.params.paramGroupId} not found`);
      return ok(toParameterGroupInfo(g, true));
    },
  );

  app.post(
    '/api/v1/param-groups/',
    {
      schema: {
        operationId: 'createParameterGroup',
        tags: ['parameter groups'],
        summary: 'Create a custom parameter group (TiEM)',
        description: 'params name parameters of the catalogue by paramId (<component>.<name>) with valid values; the group is custom (hasDefault 2).',
        body: CreateParameterGroupBody,
        response: { 200: ParameterGroupIdResponse, ...errorResponses },
      },
    },
    async (req) => {
      const b = req.body;
      if (b.dbType !== 1) throw invalid('dbType must be 1 (TiDB): DM parameter groups are not supported');
      if (b.groupType !== 1) throw invalid('groupType must be 1 (cluster): instance groups are not supported');
      const params: ParameterGroupParam[] = [];
      for (const [i, p] of b.params.entries()) {
        const def = definitionOfParamId(p.paramId);
        if (!def) throw invalid(`params[${i}].paramId ${p.paramId} is not a parameter of the catalogue (<component>.<name>)`);
        const problem = parameterValueProblem(def, p.defaultValue);
        if (problem) throw invalid(`params[${i}].defaultValue ${JSON.stringify(p.defaultValue)} for ${p.paramId}: ${problem}`);
        params.push({ component: def.component, name: def.name, defaultValue: p.defaultValue });
      }
      if ((await deps.store.listParameterGroups({ name: b.name })).some((g) => g.name === b.name)) {
        throw new TiemError('PARAMETER_GROUP_NAME_ALREADY_EXISTS', `parameter group name ${b.name} is already taken`);
      }
      const minor = /^v\d+\.\d+/.exec(b.clusterVersion)![0];
      const id = `custom-${randomUUID()}`;
      await deps.store.addParameterGroup({ id, name: b.name, clusterVersion: minor, isDefault: false, params, clusterSpec: b.clusterSpec, note: b.note ?? '' });
      return ok({ paramGroupId: id });
    },
  );
}
