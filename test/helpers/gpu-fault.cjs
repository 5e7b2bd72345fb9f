// A `--require` preload for webgpu tests: loses the child's GPU device in the middle of a read-back,
// as a driver reset or an unplugged GPU would. It destroys the device right after the Nth read-back
// (GPUBuffer.mapAsync: one per training batch on the GPU feed) is requested, so that read-back is in
// flight when the device goes, and says so on stderr; on exit it says how long the process took to
// end after that, which the test bounds. Configured by GPU_FAULT, JSON: { "readback": 3 }.
const fault = JSON.parse(process.env.GPU_FAULT ?? 'null');
if (fault) {
  const { globals } = require('webgpu');
  let device;
  let lostAt;
  const requestDevice = globals.GPUAdapter.prototype.requestDevice;
  globals.GPUAdapter.prototype.requestDevice = async function (...args) {
    device = await requestDevice.apply(this, args);
    return device;
  };
  let reads = 0;
  const mapAsync = globals.GPUBuffer.prototype.mapAsync;
  globals.GPUBuffer.prototype.mapAsync = function (...args) {
    const pending = mapAsync.apply(this, args);
    if (++reads === fault.readback && device) {
      device.destroy();
      lostAt = performance.now();
      process.stderr.write(`gpu-fault: device destroyed during read-back ${reads}\n`);
    }
    return pending;
  };
  process.on('exit', () => {
    if (lostAt !== undefined)
      process.stderr.write(
        `gpu-fault: exited ${Math.round(performance.now() - lostAt)} ms after the device was destroyed\n`,
      );
  });
}
