// Spaces: groups of doors that grants and reservations target. A change of doors re-provisions the grants
// on the space (see reactions.ts).
import { invalidInput } from '../domain/errors.js'
import type { Space, SpaceInput } from '../store/spaces.js'
import type { Store } from '../store/store.js'

export class SpacesApp {
  constructor(private readonly store: Store, private readonly inUse: (spaceId: string) => boolean) {}

  create(input: SpaceInput & { name: string }): Space {
    return this.store.tx(() => this.store.spaces.create(input))
  }

  /** By id or key; a space_key given with space_id may only set a key the space does not have yet. */
  update(ref: { spaceId?: string; spaceKey?: string }, input: Omit<SpaceInput, 'spaceKey' | 'customerKey'>): Space {
    const spaces = this.store.spaces
    return this.store.tx(() => {
      const current = ref.spaceId ? spaces.get(ref.spaceId) : spaces.getByIdOrKey({ spaceKey: ref.spaceKey })
      if (ref.spaceId && ref.spaceKey && current.spaceKey !== ref.spaceKey && current.spaceKey !== null) {
        throw invalidInput('space_key of an existing space cannot change; create a new space', 'space_key')
      }
      return spaces.update(current.spaceId, { ...input, spaceKey: ref.spaceId ? ref.spaceKey : undefined })
    })
  }

  delete(spaceId: string): void {
    this.store.tx(() => this.store.spaces.delete(spaceId, this.inUse))
  }

  addDoors(spaceId: string, deviceIds: string[], entranceIds: string[]): void {
    this.store.tx(() => this.store.spaces.addDoors(spaceId, deviceIds, entranceIds))
  }

  removeDoors(spaceId: string, deviceIds: string[], entranceIds: string[]): void {
    this.store.tx(() => this.store.spaces.removeDoors(spaceId, deviceIds, entranceIds))
  }

  // ------------------------------------------------------------------ reads

  get(ref: { spaceId?: string | null; spaceKey?: string | null }): Space {
    return this.store.spaces.getByIdOrKey(ref)
  }

  list(f: { search?: string; spaceKey?: string; customerKey?: string }): Space[] {
    return this.store.spaces.list(f)
  }

  ofDevice(deviceId: string): string[] {
    return this.store.spaces.ofDevice(deviceId)
  }

  ofEntrance(entranceId: string): string[] {
    return this.store.spaces.ofEntrance(entranceId)
  }
}
