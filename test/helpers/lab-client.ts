// Calls the lab-only routes with the same key and envelope as the Seam routes.
export function labClient(url: string, apiKey: string) {
  return async function lab<T = any>(path: string, body: Record<string, unknown> = {}): Promise<T> {
    const res = await fetch(`${url}/lab/${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    const json = (await res.json()) as any
    if (!res.ok || json.ok !== true) throw new Error(`lab ${path}: ${res.status} ${JSON.stringify(json.error)}`)
    return json as T
  }
}
