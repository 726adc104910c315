/** Keeps the call state machine pure: lib/calls may import only itself (no I/O, no clock, no adapters). */
module.exports = {
  forbidden: [
    {
      name: 'calls-machine-is-pure',
      comment: 'lib/calls/ is the pure call state machine: it must not import the AWS SDK, node built-ins, adapters or anything outside lib/calls.',
      severity: 'error',
      from: { path: '^lib/calls/' },
      to: { pathNot: '^lib/calls/' },
    },
    {
      name: 'client-imports-no-server-code',
      comment: 'The client SDK runs in browsers: it must not import lib/ or the AWS SDK.',
      severity: 'error',
      from: { path: '^client/' },
      to: { path: '^(lib/|functions/|node_modules/@aws-sdk)' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
