// Writes the API's OpenAPI document to docs/openapi.json (`npm run openapi`). The document comes
// from the route schemas; test/unit/api-openapi.test.ts fails when the committed file is stale.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildOpenApiText } from '../api/openapi-offline.js';

const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'openapi.json');
writeFileSync(target, await buildOpenApiText());
console.log(`wrote ${target}`);
