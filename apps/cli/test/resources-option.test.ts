import { describe, expect, it } from 'vitest';
import { resourcesOption } from '../src/resources-option.ts';
import { submitOptions } from '../src/submit-options.ts';

describe('hpc submit --resources', () => {
  it('turns the choices into SubmitOptions.resources', () => {
    expect(submitOptions({ resources: 'suggested' }, '/').resources).toBe('suggested');
    expect(resourcesOption({ resources: 'requested' })).toBe('requested');
    expect(resourcesOption({ resources: 'suggested:mem' })).toEqual({ suggested: ['mem'] });
    expect(resourcesOption({ resources: 'suggested:time,mem' })).toEqual({ suggested: ['time', 'mem'] });
    expect(resourcesOption({})).toBeUndefined();
  });

  it('refuses anything else, naming the flag and the choices', () => {
    for (const bad of ['suggest', 'suggested:', 'suggested:cpus', 'auto'])
      expect(() => resourcesOption({ resources: bad })).toThrow(
        new RegExp(`^--resources '${bad}' is not a choice: use suggested .*suggested:mem or suggested:time`),
      );
  });
});
