// Our parameter groups → TiEM's ParameterGroupInfo (pingcap/tiunimanager message/parametergroup.go,
// common/structs/parametergroup.go). Pure functions; the routes fetch, these map.
import { PARAMETER_CATALOG, findParameter, type ParameterDefinition } from '../domain/parameters.js';
import type { ParameterGroup } from '../metadata/types.js';
import type { ParameterGroupInfo, ParameterGroupParameterInfo } from '../client/api-types.js';

const INSTANCE_TYPE: Record<string, string> = { tidb: 'TiDB', tikv: 'TiKV', pd: 'PD', tiflash: 'TiFlash', cdc: 'CDC' };
/** TiEM's parameter value types: 0 int, 1 string, 2 bool, 3 float, 4 array. */
const TYPE: Record<ParameterDefinition['type'], number> = { int: 0, string: 1, bool: 2, size: 1, enum: 1 };
const UPDATE_SOURCE: Record<ParameterDefinition['updateSource'], number> = { TiUP: 0, SQL: 1, 'TiUP+SQL': 2 };

/** Our parameter id in TiEM's `paramId`: `<component>.<name>`. */
export function paramIdOf(def: Pick<ParameterDefinition, 'component' | 'name'>): string {
  return `${def.component}.${def.name}`;
}

export function definitionOfParamId(paramId: string): ParameterDefinition | undefined {
  const dot = paramId.indexOf('.');
  return dot < 0 ? undefined : findParameter(paramId.slice(0, dot), paramId.slice(dot + 1));
}

const unixSeconds = (iso?: string) => (iso ? Math.floor(Date.parse(iso) / 1000) : 0);

export function toParameterGroupInfo(g: ParameterGroup, withParams: boolean): ParameterGroupInfo {
  const created = unixSeconds(g.createdAt);
  const params: ParameterGroupParameterInfo[] = g.params.flatMap((p) => {
    const def = PARAMETER_CATALOG.find((d) => d.component === p.component && d.name === p.name);
    if (!def) return [];
    return [
      {
        paramId: paramIdOf(def),
        category: def.component,
        name: def.name,
        instanceType: INSTANCE_TYPE[def.component] ?? def.component,
        systemVariable: def.systemVariable ?? '',
        type: TYPE[def.type],
        unit: '',
        unitOptions: [],
        range: def.range ? def.range.map(String) : (def.values ?? []),
        rangeType: def.range ? 1 : def.values ? 2 : 0,
        hasReboot: def.hasReboot ? 1 : 0,
        hasApply: def.hasApply ? 1 : 0,
        defaultValue: p.defaultValue,
        updateSource: UPDATE_SOURCE[def.updateSource],
        readOnly: def.readOnly ? 1 : 0,
        description: def.description,
        note: '',
        createTime: created,
        updateTime: created,
      },
    ];
  });
  return {
    paramGroupId: g.id,
    name: g.name,
    dbType: 1,
    hasDefault: g.isDefault ? 1 : 2,
    clusterVersion: g.clusterVersion,
    clusterSpec: g.clusterSpec ?? '',
    groupType: 1,
    note: g.note ?? '',
    createTime: created,
    updateTime: created,
    params: withParams ? params : null,
  };
}
