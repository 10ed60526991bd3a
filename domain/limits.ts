// Upper bounds of every count, array and string the API and the workflows accept. Used by the
// TypeBox schemas (api/schemas.ts, so the OpenAPI document shows them) and by the pure validation
// (domain/validation.ts), which the clone workflow runs again on its raw input. Generous for a TiDB
// fleet, but finite: prepareResource builds one object per instance, so a count is memory.
// Pure module: imported by workflow code.

/** Instances of one placement (`instanceResource[].resource[].count`). */
export const MAX_COUNT_PER_PLACEMENT = 128;
/** Instances of all placements of a clone together. */
export const MAX_TOTAL_INSTANCES = 512;
/** Entries of `resourceParameters.instanceResource` (5 component types; a type may repeat). */
export const MAX_INSTANCE_RESOURCES = 16;
/** Placements of one entry (`instanceResource[].resource`). */
export const MAX_PLACEMENTS = 64;

/** CPU cores of a spec code or a host. */
export const MAX_CPU_CORES = 1024;
/** Memory (GB) of a spec code or a host. */
export const MAX_MEMORY_GB = 65_536;
/** Capacity (GB) of a disk, 1 PiB. */
export const MAX_DISK_CAPACITY_GB = 1_048_576;

export const MAX_TAGS = 32;
export const MAX_TAG_LENGTH = 64;

/** Cluster ids and names (TiEM: 4–64), disk ids and names, parameter group ids. */
export const MIN_ID_LENGTH = 4;
export const MAX_ID_LENGTH = 64;
/** TiEM's rule for the clone's dbPassword. */
export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 32;
/** Takeover: the existing cluster's root password, which we did not choose. */
export const MAX_TAKEOVER_PASSWORD_LENGTH = 128;
/** Region, zone, rack, dbUser, vendor, clusterType, diskType, requestResourceMode, clusterVersion. */
export const MAX_LABEL_LENGTH = 32;
/** `"<region>,<zone>"`. */
export const MAX_ZONE_CODE_LENGTH = 128;
/** `"<cpu>C<memory>G"`. */
export const MAX_SPEC_CODE_LENGTH = 16;
/** An IPv6 address in text, IPv4-mapped tail included. */
export const MAX_IP_LENGTH = 45;
export const MAX_HOST_NAME_LENGTH = 255;
export const MAX_PATH_LENGTH = 255;
export const MAX_REQUEST_ID_LENGTH = 128;

/** Hosts of one POST /api/v1/resources/hosts. */
export const MAX_HOSTS_PER_IMPORT = 1000;
export const MAX_DISKS_PER_HOST = 64;

/** Request body of any route (fastify bodyLimit; its default, stated). */
export const MAX_BODY_BYTES = 1024 * 1024;
