// /customers/push_data, /customers/delete_data and the lockstep extension /customers/automation_runs/list.
// Seam answers push_data with a bare `ok: true` and drops what it cannot use (seed 000); we also answer
// with a result for every item (extra top-level keys: the SDK ignores them, raw HTTP sees them), and the
// same results go to the event log and the automation-run log.
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { DomainError } from '../../domain/errors.js'
import { deleteDataSchema, pushDataSchema } from '../../domain/push-data.js'
import type { Store } from '../../store/store.js'
import { paginate } from '../pagination.js'
import { addRoute } from '../route.js'
import { pageParams } from '../schemas.js'
import type { SitePolicy } from './user-identities.js'

export function customerRoutes(app: FastifyInstance, store: Store, site: SitePolicy): void {
  addRoute(app, {
    path: '/customers/push_data', verbs: ['POST'], params: pushDataSchema,
    handler: (p) => {
      const policy = { allowSharedEmails: site.allow_shared_emails }
      // Fast path in one plain transaction; if an item fails on store state, roll back and apply again
      // with a savepoint per grant so that item alone is rejected.
      let run
      try {
        run = store.tx(() => store.customers.push(p, policy, { savepoints: false }))
      } catch (e) {
        if (!(e instanceof DomainError)) throw e
        run = store.tx(() => store.customers.push(p, policy, { savepoints: true }))
      }
      return { automation_run_id: run.automationRunId, summary: run.summary, results: run.results }
    },
  })
  addRoute(app, {
    path: '/customers/delete_data', verbs: ['DELETE'], params: deleteDataSchema,
    handler: (p) => {
      const run = store.tx(() => store.customers.deleteData(p))
      return { automation_run_id: run.automationRunId, summary: run.summary, results: run.results }
    },
  })
  addRoute(app, {
    path: '/customers/automation_runs/list', verbs: ['GET'],
    params: z.object({ kind: z.enum(['push_data', 'delete_data', 'draft_activation']).optional(), customer_key: z.string().min(1).optional(), ...pageParams }),
    handler: (p) => {
      const { page, pagination } = paginate(store.customers.runs({ kind: p.kind, customerKey: p.customer_key }), p, 100)
      return { automation_runs: page, pagination }
    },
  })
}
