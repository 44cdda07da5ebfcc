// Spaces: named groups of doors (online locks and offline entrances) a grant can target by id or key.
import { conflict, notFound } from '../domain/errors.js'
import { json, type StoreContext } from './context.js'

export interface Space {
  seq: number
  spaceId: string
  spaceKey: string | null
  name: string
  customerKey: string | null
  customerData: Record<string, unknown> | null
  createdAt: number
  deviceIds: string[]
  acsEntranceIds: string[]
}

interface Row {
  seq: number
  space_id: string
  space_key: string | null
  name: string
  customer_key: string | null
  customer_data: string | null
  created_at: number
}

export interface SpaceInput {
  name?: string
  spaceKey?: string | null
  customerKey?: string | null
  customerData?: Record<string, unknown> | null
  deviceIds?: string[]
  acsEntranceIds?: string[]
}


export class Spaces {
  constructor(private readonly ctx: StoreContext) {}

  private fromRow(r: Row): Space {
    const db = this.ctx.db
    return {
      seq: r.seq,
      spaceId: r.space_id,
      spaceKey: r.space_key,
      name: r.name,
      customerKey: r.customer_key,
      customerData: json.parse(r.customer_data),
      createdAt: r.created_at,
      deviceIds: (db.prepare('SELECT device_id FROM space_devices WHERE space_id = ? ORDER BY rowid').all(r.space_id) as { device_id: string }[]).map((x) => x.device_id),
      acsEntranceIds: (db.prepare('SELECT acs_entrance_id FROM space_entrances WHERE space_id = ? ORDER BY rowid').all(r.space_id) as { acs_entrance_id: string }[]).map((x) => x.acs_entrance_id),
    }
  }

  find(spaceId: string): Space | undefined {
    const r = this.ctx.db.prepare('SELECT * FROM spaces WHERE space_id = ?').get(spaceId) as Row | undefined
    return r && this.fromRow(r)
  }

  findByKey(spaceKey: string): Space | undefined {
    const r = this.ctx.db.prepare('SELECT * FROM spaces WHERE space_key = ?').get(spaceKey) as Row | undefined
    return r && this.fromRow(r)
  }

  get(spaceId: string): Space {
    const s = this.find(spaceId)
    if (!s) throw notFound('space', spaceId)
    return s
  }

  getByIdOrKey(ref: { spaceId?: string | null; spaceKey?: string | null }): Space {
    const s = ref.spaceId ? this.find(ref.spaceId) : ref.spaceKey ? this.findByKey(ref.spaceKey) : undefined
    if (!s) throw notFound('space', ref.spaceId ?? ref.spaceKey ?? undefined)
    return s
  }

  list(f: { search?: string; spaceKey?: string; customerKey?: string } = {}): Space[] {
    const rows = (this.ctx.db.prepare('SELECT * FROM spaces ORDER BY seq').all() as Row[]).map((r) => this.fromRow(r))
    const q = f.search?.toLowerCase()
    return rows.filter(
      (s) =>
        (!q || s.name.toLowerCase().includes(q) || s.spaceKey?.toLowerCase().includes(q)) &&
        (!f.spaceKey || s.spaceKey === f.spaceKey) &&
        (!f.customerKey || s.customerKey === f.customerKey),
    )
  }

  /** Spaces that contain a device (for devices' `space_ids`). */
  ofDevice(deviceId: string): string[] {
    return (this.ctx.db.prepare('SELECT space_id FROM space_devices WHERE device_id = ? ORDER BY rowid').all(deviceId) as { space_id: string }[]).map((r) => r.space_id)
  }

  ofEntrance(entranceId: string): string[] {
    return (this.ctx.db.prepare('SELECT space_id FROM space_entrances WHERE acs_entrance_id = ? ORDER BY rowid').all(entranceId) as { space_id: string }[]).map((r) => r.space_id)
  }

  create(input: SpaceInput & { name: string }): Space {
    if (input.spaceKey && this.findByKey(input.spaceKey)) {
      throw conflict('space_key_already_exists', `A space with space_key "${input.spaceKey}" already exists`)
    }
    const spaceId = this.ctx.random.uuid()
    this.ctx.db
      .prepare('INSERT INTO spaces (space_id, space_key, name, customer_key, customer_data, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(spaceId, input.spaceKey ?? null, input.name, input.customerKey ?? null, input.customerData ? json.str(input.customerData) : null, this.ctx.clock.now())
    this.setDoors(spaceId, input.deviceIds ?? [], input.acsEntranceIds ?? [])
    return this.get(spaceId)
  }

  update(spaceId: string, input: SpaceInput): Space {
    const current = this.get(spaceId)
    if (input.spaceKey && input.spaceKey !== current.spaceKey && this.findByKey(input.spaceKey)) {
      throw conflict('space_key_already_exists', `A space with space_key "${input.spaceKey}" already exists`)
    }
    this.ctx.db
      .prepare('UPDATE spaces SET name = ?, space_key = ?, customer_key = ?, customer_data = ? WHERE space_id = ?')
      .run(
        input.name ?? current.name,
        input.spaceKey === undefined ? current.spaceKey : input.spaceKey,
        input.customerKey === undefined ? current.customerKey : input.customerKey,
        input.customerData === undefined ? (current.customerData ? json.str(current.customerData) : null) : input.customerData ? json.str(input.customerData) : null,
        spaceId,
      )
    if (input.deviceIds !== undefined || input.acsEntranceIds !== undefined) {
      this.setDoors(spaceId, input.deviceIds ?? current.deviceIds, input.acsEntranceIds ?? current.acsEntranceIds)
    }
    return this.get(spaceId)
  }

  /** Whether the space's doors changed. */
  addDoors(spaceId: string, deviceIds: string[], entranceIds: string[]): boolean {
    const s = this.get(spaceId)
    return this.setDoorsIfChanged(s, union(s.deviceIds, deviceIds), union(s.acsEntranceIds, entranceIds))
  }

  /** Whether the space's doors changed. */
  removeDoors(spaceId: string, deviceIds: string[], entranceIds: string[]): boolean {
    const s = this.get(spaceId)
    return this.setDoorsIfChanged(s, s.deviceIds.filter((d) => !deviceIds.includes(d)), s.acsEntranceIds.filter((e) => !entranceIds.includes(e)))
  }

  /** Deleting a space that grants still target is refused: delete or retarget the grants first. */
  delete(spaceId: string, inUse: (spaceId: string) => boolean): boolean {
    if (!this.find(spaceId)) return false
    if (inUse(spaceId)) throw conflict('space_in_use', 'Access grants still target this space; delete them or remove the space from them first')
    this.ctx.db.prepare('DELETE FROM spaces WHERE space_id = ?').run(spaceId)
    return true
  }

  private setDoorsIfChanged(s: Space, deviceIds: string[], entranceIds: string[]): boolean {
    if (sameSet(deviceIds, s.deviceIds) && sameSet(entranceIds, s.acsEntranceIds)) return false
    this.setDoors(s.spaceId, deviceIds, entranceIds)
    return true
  }

  private setDoors(spaceId: string, deviceIds: string[], entranceIds: string[]): void {
    const db = this.ctx.db
    for (const id of deviceIds) if (!db.prepare('SELECT 1 FROM devices WHERE device_id = ?').get(id)) throw notFound('device', id)
    for (const id of entranceIds) if (!db.prepare('SELECT 1 FROM acs_entrances WHERE acs_entrance_id = ?').get(id)) throw notFound('acs_entrance', id)
    db.prepare('DELETE FROM space_devices WHERE space_id = ?').run(spaceId)
    db.prepare('DELETE FROM space_entrances WHERE space_id = ?').run(spaceId)
    for (const id of new Set(deviceIds)) db.prepare('INSERT INTO space_devices (space_id, device_id) VALUES (?, ?)').run(spaceId, id)
    for (const id of new Set(entranceIds)) db.prepare('INSERT INTO space_entrances (space_id, acs_entrance_id) VALUES (?, ?)').run(spaceId, id)
  }
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])]
}

function sameSet(a: string[], b: string[]): boolean {
  const sa = new Set(a)
  return sa.size === new Set(b).size && b.every((x) => sa.has(x))
}
