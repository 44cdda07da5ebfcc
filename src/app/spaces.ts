// Spaces: groups of doors that grants and reservations target. A change of a space's doors is followed, in
// the same transaction, by its grants and the push_data drafts waiting on its key (followSpaceDoors).
import { invalidInput } from '../domain/errors.js'
import type { Space, SpaceInput } from '../store/spaces.js'
import type { Store } from '../store/store.js'
import { followSpaceDoors } from './reactions.js'

export class SpacesApp {
  constructor(private readonly store: Store, private readonly inUse: (spaceId: string) => boolean) {}

  create(input: SpaceInput & { name: string }): Space {
    return this.store.tx(() => {
      const space = this.store.spaces.create(input)
      if ((input.deviceIds?.length ?? 0) + (input.acsEntranceIds?.length ?? 0) > 0) followSpaceDoors(this.store, space.spaceId)
      return this.store.spaces.get(space.spaceId)
    })
  }

  /** By id or key; a space_key given with space_id may only set a key the space does not have yet. */
  update(ref: { spaceId?: string; spaceKey?: string }, input: Omit<SpaceInput, 'spaceKey' | 'customerKey'>): Space {
    const spaces = this.store.spaces
    return this.store.tx(() => {
      const current = ref.spaceId ? spaces.get(ref.spaceId) : spaces.getByIdOrKey({ spaceKey: ref.spaceKey })
      if (ref.spaceId && ref.spaceKey && current.spaceKey !== ref.spaceKey && current.spaceKey !== null) {
        throw invalidInput('space_key of an existing space cannot change; create a new space', 'space_key')
      }
      const space = spaces.update(current.spaceId, { ...input, spaceKey: ref.spaceId ? ref.spaceKey : undefined })
      if (input.deviceIds === undefined && input.acsEntranceIds === undefined) return space
      followSpaceDoors(this.store, space.spaceId)
      return spaces.get(space.spaceId)
    })
  }

  delete(spaceId: string): void {
    this.store.tx(() => this.store.spaces.delete(spaceId, this.inUse))
  }

  addDoors(spaceId: string, deviceIds: string[], entranceIds: string[]): void {
    this.store.tx(() => {
      if (this.store.spaces.addDoors(spaceId, deviceIds, entranceIds)) followSpaceDoors(this.store, spaceId)
    })
  }

  removeDoors(spaceId: string, deviceIds: string[], entranceIds: string[]): void {
    this.store.tx(() => {
      if (this.store.spaces.removeDoors(spaceId, deviceIds, entranceIds)) followSpaceDoors(this.store, spaceId)
    })
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
