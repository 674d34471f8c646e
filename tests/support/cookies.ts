/** The session cookie a sign-in answer sets (it also sets the browser's device cookie). */
export function sessionCookie(res: Response): string {
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('vigie_session='));
  if (!cookie) throw new Error(`no session cookie in ${res.status} ${res.headers.getSetCookie().join(' | ')}`);
  return cookie.split(';')[0]!;
}
