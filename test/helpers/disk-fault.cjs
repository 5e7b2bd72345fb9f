// A `--require` preload for e2e tests: makes the child's writes of one file fail from its Nth write
// on, as Node reports a full disk (code, errno, syscall, path). A fault at a known point replaces
// racing the live process with file-system changes. Atomic writes end in a rename onto the target,
// plain ones in writeFile or appendFile on it: all three are covered, for ESM importers too.
// Configured by DISK_FAULT, JSON: { "file": "history.csv", "from": 2, "code": "ENOSPC" }.
const fsp = require('node:fs/promises');
const fault = JSON.parse(process.env.DISK_FAULT ?? 'null');
if (fault) {
  let writes = 0;
  for (const name of ['rename', 'writeFile', 'appendFile']) {
    const original = fsp[name];
    const target = (args) => String(name === 'rename' ? args[1] : args[0]);
    fsp[name] = async function (...args) {
      if (target(args).endsWith(fault.file) && ++writes >= fault.from) {
        const err = new Error(`${fault.code}: no space left on device, ${name} '${target(args)}'`);
        Object.assign(err, { errno: -28, code: fault.code, syscall: name, path: target(args) });
        throw err;
      }
      return original.apply(this, args);
    };
  }
  require('node:module').syncBuiltinESMExports();
}
