import type { Argv } from 'yargs';
import { painter } from '../../colour.js';
import type { CliEnv } from '../env.js';
import { emit, withJson } from './options.js';

export function doctorCommand(env: CliEnv) {
  return {
    command: 'doctor',
    describe: 'show which tfjs backends load on this machine, and how to fix those that do not',
    builder: (y: Argv) => withJson(y),
    handler: async (a: { json: boolean }) => {
      const { diagnose, formatDiagnosis } = await import('../../backend/doctor.js');
      const report = await diagnose();
      emit(env.stdout, a.json, report, () => formatDiagnosis(report, painter(env.stdout)));
    },
  };
}
