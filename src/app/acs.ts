// The offline card-lock side as configured: the card system, its entrances and encoders.
import type { Config } from '../config.js'
import type { AcsEncoder, AcsEntrance } from '../store/acs.js'
import type { Store } from '../store/store.js'

export class AcsApp {
  constructor(private readonly store: Store) {}

  /** Config names the entrances and encoders; their ids stay stable across starts. */
  syncConfigured(config: Pick<Config, 'entrances' | 'encoders' | 'site'>): void {
    this.store.tx(() => this.store.acs.sync(config.entrances, config.encoders, `${config.site.name} offline card locks`))
  }

  get connectedAccountId(): string {
    return this.store.acs.connectedAccountId
  }

  systems(): ReturnType<Store['acs']['systems']> {
    return this.store.acs.systems()
  }

  entrances(): AcsEntrance[] {
    return this.store.acs.entrances()
  }

  entrance(acsEntranceId: string): AcsEntrance {
    return this.store.acs.entrance(acsEntranceId)
  }

  /** The entrances an issued card opens (acs/entrances/list?acs_credential_id); undefined for an unknown credential. */
  entrancesOfCredential(acsCredentialId: string): string[] | undefined {
    return this.store.cardCredentials.byCredentialId(acsCredentialId)?.acsEntranceIds
  }

  encoders(): AcsEncoder[] {
    return this.store.acs.encoders()
  }

  encoder(acsEncoderId: string): AcsEncoder {
    return this.store.acs.encoder(acsEncoderId)
  }

  encoderIdFor(name: string): string {
    return this.store.acs.encoderIdFor(name)
  }
}
