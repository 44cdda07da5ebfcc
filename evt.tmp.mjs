import { schemas } from 'seam-schemas'
const opts = schemas.seam_event._def.options
const find = (t) => opts.find(o => o.shape.event_type._def.value === t).shape
const desc = (z, d=0) => {
  const tn = z._def.typeName
  if (tn === 'ZodOptional' || tn === 'ZodNullable') return desc(z._def.innerType, d) + (tn==='ZodOptional'?'?':'|null')
  if (tn === 'ZodArray') return desc(z._def.type, d) + '[]'
  if (tn === 'ZodObject') return '{' + Object.entries(z.shape).map(([k,v]) => k+': '+desc(v,d+1)).join(', ') + '}'
  if (tn === 'ZodEnum') return z._def.values.join('|')
  if (tn === 'ZodLiteral') return JSON.stringify(z._def.value)
  if (tn === 'ZodUnion' || tn === 'ZodDiscriminatedUnion') return '(' + z._def.options.map(o=>desc(o,d+1)).join(' | ') + ')'
  if (tn === 'ZodEffects') return desc(z._def.schema, d)
  return tn.replace('Zod','').toLowerCase()
}
for (const t of process.argv.slice(2)) { const s = find(t); console.log(t); for (const k of Object.keys(s)) if (!['event_id','workspace_id','created_at','occurred_at','event_type'].includes(k)) console.log('  ', k, desc(s[k]).slice(0, 600)) }
