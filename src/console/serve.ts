// Serves the web console's static files (the console at /, the front desk at /front-desk). The pages are
// open; they ask for an API key and reach every datum through the authenticated API. Files are read once at
// start (they are small).
import type { FastifyInstance } from 'fastify'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { documentRoute } from '../api/openapi.js'
import { PACKAGE_ROOT } from '../package-root.js'

const FILES: [path: string, file: string, type: string][] = [
  ['/', 'index.html', 'text/html; charset=utf-8'],
  ['/console/console.js', 'console.js', 'text/javascript; charset=utf-8'],
  ['/console/front-desk.js', 'front-desk.js', 'text/javascript; charset=utf-8'],
  ['/console/console.css', 'console.css', 'text/css; charset=utf-8'],
  // The standalone front-desk page (docs/front-desk.md).
  ['/front-desk', 'desk.html', 'text/html; charset=utf-8'],
  ['/console/desk.js', 'desk.js', 'text/javascript; charset=utf-8'],
  ['/console/desk-keys.js', 'desk-keys.js', 'text/javascript; charset=utf-8'],
  ['/console/desk-api.js', 'desk-api.js', 'text/javascript; charset=utf-8'],
  ['/console/desk.css', 'desk.css', 'text/css; charset=utf-8'],
]

export const CONSOLE_PATHS = new Set(FILES.map(([p]) => p))

export function consoleRoutes(app: FastifyInstance): void {
  for (const [path, file, type] of FILES) {
    const body = readFileSync(join(PACKAGE_ROOT, 'src', 'console', file))
    documentRoute(app, { path, method: 'GET', summary: `web console: ${file}`, auth: false, produces: type.split(';')[0] })
    app.get(path, async (_request, reply) =>
      reply
        .type(type)
        .header('cache-control', 'no-cache')
        .header('content-security-policy', "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
        .header('x-content-type-options', 'nosniff')
        .send(body),
    )
  }
}
