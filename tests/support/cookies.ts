/** The session cookie a sign-in answer sets (it also sets the browser's device cookie). */
export function sessionCookie(res: Response): string {
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('vigie_session='));
  if (!cookie) throw new Error(`no session cookie in ${res.status} ${res.headers.getSetCookie().join(' | ')}`);
  return cookie.split(';')[0]!;
}

/** Signs in over the API as a browser would (with its Origin): the session cookie. */
export async function signIn(webUrl: string, email: string, password: string): Promise<string> {
  const res = await fetch(`${webUrl}/api/session`, {
    method: 'POST',
    headers: { origin: webUrl, 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`sign-in as ${email}: ${res.status} ${await res.text()}`);
  return sessionCookie(res);
}

/** A request as a signed-in browser sends it (its session cookie and Origin), with a JSON body if any. */
export function sendAs(webUrl: string) {
  return (method: string, path: string, cookie: string, body?: unknown) =>
    fetch(`${webUrl}${path}`, {
      method,
      headers: { cookie, origin: webUrl, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
}
