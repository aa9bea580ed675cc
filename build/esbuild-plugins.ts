import type { Plugin } from 'esbuild';

/**
 * Bundling the dependencies into the agent's files keeps a terminal's memory down: one minified
 * module per chunk instead of hundreds of files each compiled with its own wrapper. Two of them
 * need help to be bundled.
 */

/**
 * serialport's native binding is found by node-gyp-build relative to the bindings package's own
 * folder; bundled, that folder would be dist/. Look it up where the package is installed.
 */
export const serialportBinding: Plugin = {
  name: 'serialport-binding',
  setup(build) {
    build.onResolve({ filter: /^\.\/serialport-bindings$/ }, (args) =>
      args.importer.includes('@serialport/bindings-cpp') ? { path: 'serialport-bindings', namespace: 'pos-agent' } : undefined,
    );
    build.onLoad({ filter: /^serialport-bindings$/, namespace: 'pos-agent' }, () => ({
      loader: 'js',
      resolveDir: process.cwd(),
      contents: `
        import { createRequire } from 'node:module';
        import path from 'node:path';
        import nodeGypBuild from 'node-gyp-build';
        const require = createRequire(import.meta.url);
        export const binding = nodeGypBuild(path.dirname(require.resolve('@serialport/bindings-cpp/package.json')));
      `,
    }));
  },
};

/**
 * `debug` only ever prints when the DEBUG environment variable asks it to; on a terminal its
 * colour and environment probing are memory for nothing. A silent stand-in keeps its API.
 */
export const silentDebug: Plugin = {
  name: 'silent-debug',
  setup(build) {
    build.onResolve({ filter: /^debug$/ }, () => ({ path: 'debug', namespace: 'pos-agent' }));
    build.onLoad({ filter: /^debug$/, namespace: 'pos-agent' }, () => ({
      loader: 'js',
      contents: `
        function createDebug() {
          const debug = () => {};
          debug.enabled = false;
          debug.extend = () => debug;
          debug.destroy = () => {};
          return debug;
        }
        createDebug.enable = () => {};
        createDebug.disable = () => '';
        createDebug.enabled = () => false;
        module.exports = createDebug;
        module.exports.default = createDebug;
      `,
    }));
  },
};
