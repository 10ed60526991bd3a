// What each real tool version can and cannot do, as the simulator plays it. Every rule names where
// it was read in the real tool's code (repository path @ release tag, function).
import { compareVersions, parseVersion } from './model.js';

export const atLeast = (version: string, min: string): boolean => compareVersions(version, min) >= 0;
const sameMinor = (version: string, minor: string): boolean => {
  const v = parseVersion(version);
  return !!v && `v${v[0]}.${v[1]}` === minor;
};

export interface TicdcApiSurface {
  /** OpenAPI v1 (`/api/v1/...`). pingcap/tiflow cdc/http_router.go @ v5.2.0 (newRouter); still registered
   *  next to v2 by cdc/http.go @ v8.5.0 (RegisterRoutes). */
  v1: boolean;
  /** v2 POST /changefeeds, PUT, meta_info, resume, verify_table, tso: cdc/api/v2/api.go @ v6.2.0
   *  (RegisterOpenAPIV2Routes). No v2 before v6.2.0. */
  v2Create: boolean;
  /** v2 GET one / list / DELETE / pause, /health, /status, /captures: cherry-picked into v6.5.2
   *  (tiflow #8740, cdc/api/v2/api.go @ v6.5.2); absent in v6.2.0–v6.5.1. */
  v2Read: boolean;
  /** v2 GET /changefeeds/:id/synced: cdc/api/v2/api.go @ v8.1.0 (and v6.5.12). */
  v2Synced: boolean;
  /** v2 create answers 201 at v6.2.0–v6.5.1 and v6.6.x, 200 from v6.5.2 and v7.0.0 (cdc/api/v2/changefeed.go createChangefeed). */
  v2CreateStatus: 200 | 201;
  /** v2 DELETE answers 204 in v6.6.x, 200 `{}` elsewhere — also for a missing changefeed (cdc/api/v2/changefeed.go deleteChangefeed). */
  v2DeleteStatus: 200 | 204;
  /** v1 DELETE returns before the changefeed is gone up to v6.1.x; from v6.2.0 it polls until
   *  ErrChangeFeedNotExists (cdc/api/v1/api.go @ v6.2.0 RemoveChangefeed). */
  v1RemoveIsAsync: boolean;
  /** Retried errors: `error` up to v7.2 (v6.5.0–6.5.3, v7.1.0–7.1.1); `pending`/`warning` from v7.3.0,
   *  backported to v6.5.4 and v7.1.2 (cdc/model/changefeed.go FeedState, cdc/owner/feed_state_manager.go). */
  retryStates: 'error' | 'pending-warning';
}

export function ticdcApiSurface(version: string): TicdcApiSurface {
  const v66 = sameMinor(version, 'v6.6');
  return {
    v1: atLeast(version, 'v5.2.0'),
    v2Create: atLeast(version, 'v6.2.0'),
    v2Read: atLeast(version, 'v6.5.2'),
    v2Synced: atLeast(version, 'v8.1.0') || (sameMinor(version, 'v6.5') && atLeast(version, 'v6.5.12')),
    v2CreateStatus: v66 || (atLeast(version, 'v6.2.0') && !atLeast(version, 'v6.5.2')) ? 201 : 200,
    v2DeleteStatus: v66 ? 204 : 200,
    v1RemoveIsAsync: !atLeast(version, 'v6.2.0'),
    retryStates: newStateModel(version) ? 'pending-warning' : 'error',
  };
}

function newStateModel(version: string): boolean {
  if (sameMinor(version, 'v6.5')) return atLeast(version, 'v6.5.4');
  if (sameMinor(version, 'v7.1')) return atLeast(version, 'v7.1.2');
  return atLeast(version, 'v7.3.0');
}

/**
 * The text of ErrChangeFeedNotExists (cdc/owner/status_provider.go): `key: <id>` in v5.x; a
 * model.ChangeFeedID struct without String() from v6.0 (`{default <id>}`); `default/<id>` from v7.5.0.
 */
export function changefeedNotExistsText(version: string, id: string): string {
  if (!atLeast(version, 'v6.0.0')) return `changefeed not exists, key: ${id}`;
  if (!atLeast(version, 'v7.5.0')) return `changefeed not exists, {default ${id}}`;
  return `changefeed not exists, default/${id}`;
}

/**
 * How long TiCDC keeps retrying before a changefeed turns `failed`: the old model's backoff gives up
 * after 90 min (cdc/owner/feed_state_manager.go @ v7.1.0, MaxElapsedTime); the new one fails a
 * changefeed whose checkpoint is stuck longer than changefeed-error-stuck-duration, 30 min
 * (pkg/config/replica_config.go @ v7.5.0).
 */
export function ticdcRetryGiveUpMs(version: string): number {
  return newStateModel(version) ? 30 * 60_000 : 90 * 60_000;
}

/** TIDB_CURRENT_TSO(): pingcap/tidb expression/builtin_time.go @ v6.4.0 (PR #37037), not in v6.1.x or v5.4.x. */
export function tidbHasCurrentTsoFunction(version: string): boolean {
  return atLeast(version, 'v6.4.0');
}
