import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';

/**
 * SLURM says who cancelled a job by numeric uid ('CANCELLED by 0'); users know names. The name
 * comes from the current user or /etc/passwd (read once, never executed); a uid found in neither
 * (LDAP-only accounts) is shown as 'uid 1234' rather than a bare number that reads like a count.
 */
const passwdByFile = new Map<string, Map<string, string>>();

export function userNameOfUid(uid: string, passwdFile = '/etc/passwd'): string {
  if (!/^\d+$/.test(uid)) return uid;
  if (process.getuid?.() === Number(uid)) return userInfo().username;
  let names = passwdByFile.get(passwdFile);
  if (!names) {
    names = readPasswd(passwdFile);
    passwdByFile.set(passwdFile, names);
  }
  return names.get(uid) ?? `uid ${uid}`;
}

function readPasswd(file: string): Map<string, string> {
  const names = new Map<string, string>();
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return names;
  }
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name && uid && /^\d+$/.test(uid) && !names.has(uid)) names.set(uid, name);
  }
  return names;
}
