import type { CliEnv } from '../env.js';

export function schemaCommand(env: CliEnv) {
  return {
    command: 'schema',
    describe: 'print the JSON Schema of config files (for editor completion and hover docs)',
    handler: async () => {
      const { configJsonSchema } = await import('../../config/schema.js');
      env.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    },
  };
}
