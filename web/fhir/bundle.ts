/**
 * Search results as a FHIR Bundle of type `searchset`, with its `self` link and, when there is more,
 * a `next` link that carries the cursor (an opaque `_cursor` parameter) the next page starts from.
 */
export interface FhirResource {
  readonly resourceType: string;
  readonly id: string;
}

export interface SearchPage<R extends FhirResource> {
  readonly resources: readonly R[];
  /** The cursor of the next page, when there is one. */
  readonly next: string | null;
  /** How many match in all, when it is known without reading them all. */
  readonly total?: number;
}

/**
 * `base`: the server's FHIR base URL; `url`: the request's path and query (the self link);
 * `query`: its parameters, to which the next link adds the cursor.
 */
export function searchset<R extends FhirResource>(
  base: string,
  url: string,
  query: Readonly<Record<string, string | readonly string[]>>,
  page: SearchPage<R>,
) {
  const self = new URL(url, base);
  const link = [{ relation: 'self', url: self.href }];
  if (page.next !== null) {
    const next = new URL(self.pathname, base);
    for (const [key, value] of Object.entries(query)) {
      if (key === '_cursor') continue;
      for (const v of typeof value === 'string' ? [value] : value) next.searchParams.append(key, v);
    }
    next.searchParams.set('_cursor', page.next);
    link.push({ relation: 'next', url: next.href });
  }
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(page.total === undefined ? {} : { total: page.total }),
    link,
    entry: page.resources.map((resource) => ({
      fullUrl: new URL(`${resource.resourceType}/${resource.id}`, `${base}/`).href,
      resource,
      search: { mode: 'match' },
    })),
  };
}
