/**
 * A page's request to the web service, as a test makes it: with a session cookie (or none), the
 * site's own Origin (the edge refuses cross-site changes), and a JSON body when there is one.
 */
export function sender(webUrl: () => string) {
  return (method: string, path: string, cookie: string, body?: unknown): Promise<Response> =>
    fetch(`${webUrl()}${path}`, {
      method,
      headers: { cookie, origin: webUrl(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
}

/** The code of a refusal (common/errors.ts). */
export async function codeOf(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}
