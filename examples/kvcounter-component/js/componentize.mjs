// componentize.mjs: builds the JavaScript component with componentize-js.
// Usage (build.sh runs it): node componentize.mjs PACKAGE_DIR SOURCE WIT_DIR OUT
// PACKAGE_DIR is the componentize-js package (its version must be the one
// build.sh pins).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [pkgDir, sourcePath, witPath, out] = process.argv.slice(2);
const { componentize } = await import(pathToFileURL(join(pkgDir, 'src', 'componentize.js')).href);
const { component } = await componentize({
  sourcePath,
  witPath,
  worldName: 'kvcounter',
  // The handler exports incomingHandler itself (no fetch event) and makes no
  // outgoing requests: the engine's fetch() support is left out.
  disableFeatures: ['http', 'fetch-event'],
});
await writeFile(out, component);
