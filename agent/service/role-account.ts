import { SERVICE_NAME } from './label.js';

/**
 * The role account the system service runs as. macOS names daemon accounts with a leading
 * underscore (_www, _postgres), gives them no login shell, no home and no password, and hides them.
 */
export const ROLE_ACCOUNT = '_macos_agent';

export interface RoleAccountIds {
  readonly uid: number;
  readonly gid: number;
}

/** Third-party daemon accounts take ids below 500 (where login accounts start) and above Apple's. */
export const ROLE_ID_RANGE = { first: 200, last: 499 } as const;

/** Parses `dscl . -read /Users/NAME UniqueID PrimaryGroupID`. */
export function parseAccountIds(text: string): RoleAccountIds | undefined {
  let uid: number | undefined;
  let gid: number | undefined;
  for (const line of text.split('\n')) {
    const [key, value] = line.split(':').map((part) => part.trim());
    if (value === undefined || !/^\d{1,10}$/.test(value)) continue;
    if (key === 'UniqueID') uid = Number(value);
    if (key === 'PrimaryGroupID') gid = Number(value);
  }
  return uid !== undefined && gid !== undefined ? { uid, gid } : undefined;
}

/**
 * The first id in ROLE_ID_RANGE used by no user and no group, from `dscl . -list /Users UniqueID`
 * and `dscl . -list /Groups PrimaryGroupID` (one `name id` pair a line).
 */
export function freeRoleId(usersList: string, groupsList: string): number {
  const taken = new Set<number>();
  for (const line of `${usersList}\n${groupsList}`.split('\n')) {
    const id = line.trim().split(/\s+/).at(-1);
    if (id !== undefined && /^-?\d{1,10}$/.test(id)) taken.add(Number(id));
  }
  for (let id = ROLE_ID_RANGE.first; id <= ROLE_ID_RANGE.last; id++) if (!taken.has(id)) return id;
  throw new Error(`no free id between ${ROLE_ID_RANGE.first} and ${ROLE_ID_RANGE.last} for the role account ${ROLE_ACCOUNT}`);
}

/** The `dscl .` argument lists that create the group and the account with `id` as both ids. */
export function createAccountCommands(id: number): string[][] {
  const group = `/Groups/${ROLE_ACCOUNT}`;
  const user = `/Users/${ROLE_ACCOUNT}`;
  return [
    ['.', '-create', group],
    ['.', '-create', group, 'PrimaryGroupID', String(id)],
    ['.', '-create', group, 'RealName', `${SERVICE_NAME} daemon`],
    ['.', '-create', group, 'Password', '*'],
    ['.', '-create', user],
    ['.', '-create', user, 'UniqueID', String(id)],
    ['.', '-create', user, 'PrimaryGroupID', String(id)],
    ['.', '-create', user, 'RealName', `${SERVICE_NAME} daemon`],
    ['.', '-create', user, 'UserShell', '/usr/bin/false'],
    ['.', '-create', user, 'NFSHomeDirectory', '/var/empty'],
    ['.', '-create', user, 'Password', '*'],
    ['.', '-create', user, 'IsHidden', '1'],
  ];
}

export function deleteAccountCommands(): string[][] {
  return [['.', '-delete', `/Users/${ROLE_ACCOUNT}`], ['.', '-delete', `/Groups/${ROLE_ACCOUNT}`]];
}
