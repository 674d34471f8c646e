/**
 * The invitation link is `/call/{roomId}#{token}`: the token sits in the fragment, which browsers never
 * send to a server or in a Referer. It is moved to sessionStorage and removed from the address bar, so
 * a reload works and a screenshot or a shared screen does not leak it.
 */
export interface Invitation {
  readonly roomId: string;
  readonly token: string;
}

export function readInvitation(
  location: Pick<Location, 'pathname' | 'hash' | 'search'>,
  storage: Pick<Storage, 'getItem' | 'setItem'>,
  history?: Pick<History, 'replaceState'>,
): Invitation | undefined {
  const match = /^\/call\/([\w-]{1,100})\/?$/.exec(location.pathname);
  const roomId = match?.[1];
  if (!roomId) return undefined;
  const key = `vigie.invitation.${roomId}`;
  const fromHash = location.hash.replace(/^#/, '');
  if (fromHash) {
    storage.setItem(key, fromHash);
    history?.replaceState(null, '', `${location.pathname}${location.search}`);
  }
  const token = fromHash || storage.getItem(key);
  return token ? { roomId, token } : undefined;
}

/** The patient the consultation is about (for the clinician's vitals panel; the server checks access). */
export function patientOf(token: string): string | undefined {
  const patient = claims(token)?.patient;
  return typeof patient === 'string' ? patient : undefined;
}

function claims(token: string): Record<string, unknown> | undefined {
  try {
    const payload: unknown = JSON.parse(atob((token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/')));
    return typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The role written in the invitation, for wording the page before joining (the SFU checks it). */
export function roleOf(token: string): 'clinician' | 'patient' | 'family' | undefined {
  const role = claims(token)?.role;
  return role === 'clinician' || role === 'patient' || role === 'family' ? role : undefined;
}
