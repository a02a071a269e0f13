import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCliConfig, withConfigDefaults } from '../src/cli-config.ts';

let dir: string;
let env: NodeJS.ProcessEnv;
let project: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hpc-config-'));
  await mkdir(join(dir, 'home'));
  project = join(dir, 'project', 'sub', 'deeper');
  await mkdir(project, { recursive: true });
  await writeFile(join(dir, 'slurm.conf'), '# test\nClusterName=lab\nSlurmctldHost=x\n');
  env = { HPC_HOME: join(dir, 'home'), SLURM_CONF: join(dir, 'slurm.conf') };
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('config files (user, then project, then flags)', () => {
  it('merges user defaults, the cluster section, the nearest .hpc.json above the folder, then flags', async () => {
    await writeFile(
      join(dir, 'home', 'config.json'),
      JSON.stringify({
        defaults: { slurmArgs: { mem: '1G', time: '00:10:00' }, modules: ['gcc'], env: { A: 'user' } },
        clusters: {
          lab: { slurmArgs: { partition: 'debug' }, nodePath: '/opt/node/bin/node' },
          other: { modules: ['x'] },
        },
      }),
    );
    await writeFile(
      join(dir, 'project', '.hpc.json'),
      JSON.stringify({ defaults: { slurmArgs: { mem: '2G' }, env: { B: 'project' } } }),
    );
    const config = loadCliConfig(env, project);
    expect(config.files).toEqual([join(dir, 'home', 'config.json'), join(dir, 'project', '.hpc.json')]);
    expect(config.cluster).toBe('lab');
    expect(config.settings).toEqual({
      slurmArgs: { mem: '2G', time: '00:10:00', partition: 'debug' },
      modules: ['gcc'],
      env: { A: 'user', B: 'project' },
      nodePath: '/opt/node/bin/node',
    });
    const options = withConfigDefaults(config, { slurmArgs: { time: '00:01:00' }, modules: ['python'] });
    expect(options).toEqual({
      slurmArgs: { mem: '2G', time: '00:01:00', partition: 'debug' },
      modules: ['python'],
      env: { A: 'user', B: 'project' },
    });
  });

  it('a file that is not a config names itself and the key, and says what is allowed', async () => {
    const cases: [string, RegExp][] = [
      ['{ "defaults": ', /config file .*config\.json: is not valid JSON/],
      ['[]', /must hold a JSON object/],
      ['{ "default": {} }', /unknown key 'default'; a config file has 'defaults' and 'clusters' only/],
      ['{ "defaults": { "mem": "4G" } }', /defaults\.mem: is not a setting; use one of: slurmArgs, modules/],
      ['{ "defaults": { "slurmArgs": { "mem": 4 } } }', /defaults\.slurmArgs: must be an object of strings/],
      [
        '{ "clusters": { "lab": { "maxRestarts": -1 } } }',
        /clusters\.lab\.maxRestarts: must be a whole number/,
      ],
    ];
    for (const [text, message] of cases) {
      await writeFile(join(dir, 'home', 'config.json'), text);
      expect(() => loadCliConfig(env, dir)).toThrow(message);
    }
    await rm(join(dir, 'home', 'config.json'));
    expect(loadCliConfig(env, dir)).toMatchObject({ files: [], settings: {} });
  });
});
