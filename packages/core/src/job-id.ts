/** A scheduler's job id: SLURM's numeric id ('4711', '4711_3') or a local driver's ('local-12'). */
export type JobId = string & { readonly __brand: 'JobId' };

export function asJobId(id: string | number): JobId {
  const text = String(id).trim();
  if (!/^[A-Za-z0-9_.\-[\]]+$/.test(text)) throw new TypeError(`not a job id: ${JSON.stringify(String(id))}`);
  return text as JobId;
}
