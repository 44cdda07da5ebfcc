// The offline side of the property: one ACS system holding the card-lock entrances and encoders named in config.
import { notFound } from '../domain/errors.js'
import { stableUuid } from '../kernel/ids.js'
import type { StoreContext } from './context.js'

export interface AcsEntrance {
  seq: number
  acsEntranceId: string
  acsSystemId: string
  displayName: string
  canBelongToReservation: boolean
  createdAt: number
}

export interface AcsEncoder {
  seq: number
  acsEncoderId: string
  acsSystemId: string
  displayName: string
  createdAt: number
}

export class Acs {
  constructor(private readonly ctx: StoreContext) {}

  get systemId(): string {
    return stableUuid(this.ctx.workspaceId, 'acs_system:offline-card-locks')
  }

  get connectedAccountId(): string {
    return stableUuid(this.ctx.workspaceId, 'account:offline-card-locks')
  }

  /** Registers config entrances and encoders; ids derive from names so they survive restarts. */
  sync(entrances: { name: string; can_belong_to_reservation: boolean }[], encoders: { name: string }[], systemName: string): void {
    const db = this.ctx.db
    const now = this.ctx.clock.now()
    db.prepare('INSERT INTO acs_systems (acs_system_id, name, created_at) VALUES (?, ?, ?) ON CONFLICT(acs_system_id) DO UPDATE SET name = excluded.name').run(this.systemId, systemName, now)
    for (const e of entrances) {
      db.prepare(
        `INSERT INTO acs_entrances (acs_entrance_id, acs_system_id, display_name, can_belong_to_reservation, created_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(acs_entrance_id) DO UPDATE SET display_name = excluded.display_name, can_belong_to_reservation = excluded.can_belong_to_reservation`,
      ).run(this.entranceIdFor(e.name), this.systemId, e.name, e.can_belong_to_reservation ? 1 : 0, now)
    }
    for (const e of encoders) {
      db.prepare(
        `INSERT INTO acs_encoders (acs_encoder_id, acs_system_id, display_name, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(acs_encoder_id) DO UPDATE SET display_name = excluded.display_name`,
      ).run(this.encoderIdFor(e.name), this.systemId, e.name, now)
    }
  }

  entranceIdFor(name: string): string {
    return stableUuid(this.ctx.workspaceId, `acs_entrance:${name}`)
  }

  encoderIdFor(name: string): string {
    return stableUuid(this.ctx.workspaceId, `acs_encoder:${name}`)
  }

  systems(): { acsSystemId: string; name: string; createdAt: number }[] {
    return (this.ctx.db.prepare('SELECT * FROM acs_systems').all() as { acs_system_id: string; name: string; created_at: number }[]).map((r) => ({
      acsSystemId: r.acs_system_id,
      name: r.name,
      createdAt: r.created_at,
    }))
  }

  entrances(): AcsEntrance[] {
    return (this.ctx.db.prepare('SELECT * FROM acs_entrances ORDER BY seq').all() as any[]).map((r) => ({
      seq: r.seq,
      acsEntranceId: r.acs_entrance_id,
      acsSystemId: r.acs_system_id,
      displayName: r.display_name,
      canBelongToReservation: r.can_belong_to_reservation === 1,
      createdAt: r.created_at,
    }))
  }

  entrance(id: string): AcsEntrance {
    const e = this.entrances().find((x) => x.acsEntranceId === id)
    if (!e) throw notFound('acs_entrance', id)
    return e
  }

  encoders(): AcsEncoder[] {
    return (this.ctx.db.prepare('SELECT * FROM acs_encoders ORDER BY seq').all() as any[]).map((r) => ({
      seq: r.seq,
      acsEncoderId: r.acs_encoder_id,
      acsSystemId: r.acs_system_id,
      displayName: r.display_name,
      createdAt: r.created_at,
    }))
  }

  encoder(id: string): AcsEncoder {
    const e = this.encoders().find((x) => x.acsEncoderId === id)
    if (!e) throw notFound('acs_encoder', id)
    return e
  }
}
