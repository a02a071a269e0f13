import { InvalidObjectPathError } from '../hdf5-errors.ts';

/**
 * Object paths name HDF5 groups: '/my_process', '/runs/3/fit'. Normalised to a leading '/',
 * no trailing '/', no empty, '.' or '..' segments.
 */
export function normalizeObjectPath(file: string, objectPath: string): string {
  if (typeof objectPath !== 'string' || objectPath.length === 0) {
    throw new InvalidObjectPathError(file, String(objectPath), 'it is empty');
  }
  const trimmed = objectPath.startsWith('/') ? objectPath : `/${objectPath}`;
  const segments = trimmed.slice(1).split('/');
  if (segments.length === 1 && segments[0] === '')
    throw new InvalidObjectPathError(file, objectPath, 'the root group cannot hold an object');
  for (const segment of segments) {
    if (segment === '') throw new InvalidObjectPathError(file, objectPath, 'it has an empty segment');
    if (segment === '.' || segment === '..')
      throw new InvalidObjectPathError(file, objectPath, `'${segment}' is not allowed`);
    if (segment.includes('\0'))
      throw new InvalidObjectPathError(file, objectPath, 'it contains a NUL character');
  }
  return `/${segments.join('/')}`;
}

/** '/a/b/c' -> ['/a', '/a/b'] */
export function parentPaths(objectPath: string): string[] {
  const segments = objectPath.slice(1).split('/');
  const parents: string[] = [];
  for (let i = 1; i < segments.length; i++) parents.push(`/${segments.slice(0, i).join('/')}`);
  return parents;
}
