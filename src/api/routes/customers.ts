// /customers/push_data, /customers/delete_data and the lockstep extension /customers/automation_runs/list.
// Seam answers push_data with a bare `ok: true` and drops what it cannot use (seed 000); we also answer
// with a result for every item (extra top-level keys: the SDK ignores them, raw HTTP sees them), and the
// same results go to the event log and the automation-run log.
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { deleteDataSchema, pushDataSchema } from '../../domain/push-data.js'
import type { UseCases } from '../../app/index.js'
import { paginate } from '../pagination.js'
import { addRoute } from '../route.js'
import { pageParams } from '../schemas.js'
import { automationRunWire } from '../wire.js'

export function customerRoutes(app: FastifyInstance, uc: UseCases): void {
  addRoute(app, {
    path: '/customers/push_data', verbs: ['POST'], params: pushDataSchema,
    handler: (p) => {
      const run = uc.pushData.push(p)
      return { automation_run_id: run.automationRunId, summary: run.summary, results: run.results }
    },
  })
  addRoute(app, {
    path: '/customers/delete_data', verbs: ['DELETE'], params: deleteDataSchema,
    handler: (p) => {
      const run = uc.pushData.deleteData(p)
      return { automation_run_id: run.automationRunId, summary: run.summary, results: run.results }
    },
  })
  addRoute(app, {
    path: '/customers/automation_runs/list', verbs: ['GET'],
    params: z.object({ kind: z.enum(['push_data', 'delete_data', 'draft_activation']).optional(), customer_key: z.string().min(1).optional(), ...pageParams }),
    handler: (p) => {
      const { page, pagination } = paginate(uc.pushData.runs({ kind: p.kind, customerKey: p.customer_key }), p, 100)
      return { automation_runs: page.map(automationRunWire), pagination }
    },
  })
}
