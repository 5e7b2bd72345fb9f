/** The device pack's CLI entry (scripts/device-check.sh bundles it as dist/cli/main.js): the CLI, with its optional webgpu package bundled. */
import './device-bundle.js';
import '../src/cli/main.js';
