// Versioned schema. Append only: never edit a migration that has shipped; add the next one.
// Times are integer milliseconds since the epoch (UTC); JSON columns hold arrays/objects.
export const migrations: string[] = [
  /* 1: foundation */ `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

  CREATE TABLE api_keys (
    api_key_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
  );

  CREATE TABLE devices (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL UNIQUE,
    driver TEXT NOT NULL,
    native_id TEXT NOT NULL,
    connected_account_id TEXT NOT NULL,
    display_name TEXT NOT NULL,
    device_type TEXT NOT NULL,
    manufacturer TEXT NOT NULL,
    model TEXT NOT NULL,
    constraints TEXT NOT NULL,
    online INTEGER NOT NULL DEFAULT 0,
    locked INTEGER,
    battery_level REAL,
    errors TEXT NOT NULL DEFAULT '[]',
    warnings TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    UNIQUE (driver, native_id)
  );

  CREATE TABLE access_codes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    access_code_id TEXT NOT NULL UNIQUE,
    device_id TEXT NOT NULL REFERENCES devices(device_id),
    is_managed INTEGER NOT NULL,
    name TEXT,
    -- The name as the lock's app shows it (seed 002), fixed when the name is written.
    appearance_name TEXT,
    code TEXT,
    starts_at INTEGER,
    ends_at INTEGER,
    status TEXT NOT NULL,
    is_external_modification_allowed INTEGER NOT NULL DEFAULT 0,
    is_one_time_use INTEGER NOT NULL DEFAULT 0,
    is_offline_access_code INTEGER NOT NULL DEFAULT 0,
    common_code_key TEXT,
    slot INTEGER,
    errors TEXT NOT NULL DEFAULT '[]',
    warnings TEXT NOT NULL DEFAULT '[]',
    pending_mutations TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER
  );
  CREATE INDEX access_codes_device ON access_codes(device_id) WHERE deleted_at IS NULL;

  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    occurred_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    device_id TEXT,
    access_code_id TEXT,
    body TEXT NOT NULL
  );
  CREATE INDEX events_created ON events(created_at);

  CREATE TABLE action_attempts (
    action_attempt_id TEXT PRIMARY KEY,
    action_type TEXT NOT NULL,
    status TEXT NOT NULL,
    device_id TEXT,
    result TEXT,
    error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );

  -- Answers to retried PUTs (the SDK retries PUT after a lost answer): same body, same result.
  CREATE TABLE idempotency (
    scope TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    result TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (scope, body_hash)
  );

  -- The reconciler's work items: a device is dirty until a pass has looked at it since dirty_at.
  CREATE TABLE work_items (
    device_id TEXT PRIMARY KEY,
    dirty_at INTEGER NOT NULL,
    reason TEXT NOT NULL
  );
  `,
  /* 2: spaces, offline entrances and encoders, user identities */ `
  CREATE TABLE spaces (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    space_id TEXT NOT NULL UNIQUE,
    space_key TEXT UNIQUE,
    name TEXT NOT NULL,
    customer_key TEXT,
    customer_data TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE space_devices (
    space_id TEXT NOT NULL REFERENCES spaces(space_id) ON DELETE CASCADE,
    device_id TEXT NOT NULL REFERENCES devices(device_id),
    PRIMARY KEY (space_id, device_id)
  );
  CREATE TABLE acs_systems (
    acs_system_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE acs_entrances (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    acs_entrance_id TEXT NOT NULL UNIQUE,
    acs_system_id TEXT NOT NULL REFERENCES acs_systems(acs_system_id),
    display_name TEXT NOT NULL,
    can_belong_to_reservation INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE space_entrances (
    space_id TEXT NOT NULL REFERENCES spaces(space_id) ON DELETE CASCADE,
    acs_entrance_id TEXT NOT NULL REFERENCES acs_entrances(acs_entrance_id),
    PRIMARY KEY (space_id, acs_entrance_id)
  );
  CREATE TABLE acs_encoders (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    acs_encoder_id TEXT NOT NULL UNIQUE,
    acs_system_id TEXT NOT NULL REFERENCES acs_systems(acs_system_id),
    display_name TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE user_identities (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    user_identity_id TEXT NOT NULL UNIQUE,
    user_identity_key TEXT UNIQUE,
    email_address TEXT,
    phone_number TEXT,
    full_name TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX user_identities_email ON user_identities(email_address);
  CREATE INDEX user_identities_phone ON user_identities(phone_number);
  `,
  /* 3: reconciler bookkeeping */ `
  -- The PIN lockstep last saw set in the code's slot: tells an external change from a pending API change.
  ALTER TABLE access_codes ADD COLUMN confirmed_code TEXT;
  -- Bumped by every API change to the device's desired codes; a converged pass clears work only if unchanged.
  ALTER TABLE devices ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE devices ADD COLUMN observed TEXT;
  ALTER TABLE devices ADD COLUMN observed_at INTEGER;
  `,
  /* 4: user identities (customer), access grants, access methods, automation runs */ `
  ALTER TABLE user_identities ADD COLUMN customer_key TEXT;
  CREATE TABLE access_grants (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    access_grant_id TEXT NOT NULL UNIQUE,
    access_grant_key TEXT,
    reservation_key TEXT,
    user_identity_id TEXT NOT NULL,
    name TEXT,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER,
    -- [{mode, code?, created_at}] as requested
    requested TEXT NOT NULL,
    -- Targets as given (space_keys for pushed grants, resolved to space_ids when active).
    space_ids TEXT NOT NULL DEFAULT '[]',
    space_keys TEXT NOT NULL DEFAULT '[]',
    device_ids TEXT NOT NULL DEFAULT '[]',
    acs_entrance_ids TEXT NOT NULL DEFAULT '[]',
    -- Reservation bookkeeping (docs/domain-reservations.md): own capable doors and the set it joined.
    capable_entrance_ids TEXT NOT NULL DEFAULT '[]',
    reservation_entrance_ids TEXT NOT NULL DEFAULT '[]',
    errors TEXT NOT NULL DEFAULT '[]',
    warnings TEXT NOT NULL DEFAULT '[]',
    -- active | draft (push_data item waiting for its spaces or their doors)
    state TEXT NOT NULL DEFAULT 'active',
    -- api | reservations | bookings | access_grants (push_data collection)
    source TEXT NOT NULL DEFAULT 'api',
    customer_key TEXT,
    preferred_code TEXT,
    waiting_for TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER
  );
  CREATE UNIQUE INDEX access_grants_key ON access_grants(access_grant_key) WHERE deleted_at IS NULL;
  CREATE INDEX access_grants_reservation ON access_grants(reservation_key) WHERE deleted_at IS NULL;
  CREATE INDEX access_grants_user ON access_grants(user_identity_id) WHERE deleted_at IS NULL;

  CREATE TABLE access_methods (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    access_method_id TEXT NOT NULL UNIQUE,
    access_grant_id TEXT NOT NULL REFERENCES access_grants(access_grant_id),
    mode TEXT NOT NULL,
    code TEXT,
    -- card: the entrances the card must open (what the encoder writes)
    entrance_ids TEXT NOT NULL DEFAULT '[]',
    warnings TEXT NOT NULL DEFAULT '[]',
    issued_at INTEGER,
    -- card, filled by the encoder side (markCardEncoded)
    acs_credential_id TEXT,
    card_uid TEXT,
    encoded_starts_at INTEGER,
    encoded_ends_at INTEGER,
    encoded_entrance_ids TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    deleted_at INTEGER
  );
  CREATE INDEX access_methods_grant ON access_methods(access_grant_id);

  -- code methods: one managed access code per lock
  CREATE TABLE access_method_codes (
    access_method_id TEXT NOT NULL REFERENCES access_methods(access_method_id),
    access_code_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    PRIMARY KEY (access_method_id, access_code_id)
  );
  CREATE INDEX access_method_codes_code ON access_method_codes(access_code_id);

  -- push_data / delete_data / draft activations: what happened to every item
  CREATE TABLE automation_runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    automation_run_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    customer_key TEXT,
    summary TEXT NOT NULL,
    results TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  `,
  /* 5: offline card issuance: site id, stamp allocator, credential numbers, issued cards */ `
  -- One row: the site's card identity and the persisted allocators (docs/protocols/lockstep-card.md §4).
  CREATE TABLE card_issuance (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    site_id INTEGER NOT NULL,
    last_stamp_time INTEGER,
    last_stamp_seq INTEGER,
    next_credential_number INTEGER NOT NULL,
    -- The staff level's generation stamp: every staff card copies it (joiners among themselves).
    staff_stamp_time INTEGER,
    staff_stamp_seq INTEGER
  );
  -- Every card written and read back: scan lookups (by UID / credential number) and reservation stamps.
  CREATE TABLE issued_cards (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    acs_credential_id TEXT NOT NULL UNIQUE,
    credential_number INTEGER NOT NULL UNIQUE,
    card_uid TEXT NOT NULL,
    access_method_id TEXT,
    access_grant_id TEXT,
    user_identity_id TEXT,
    acs_encoder_id TEXT,
    level TEXT NOT NULL,
    joiner INTEGER NOT NULL,
    reservation_key TEXT,
    -- JSON sorted acs_entrance_ids of the reservation door set (the stamp is per key and door set).
    reservation_door_set TEXT,
    stamp_time INTEGER NOT NULL,
    stamp_seq INTEGER NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER,
    acs_entrance_ids TEXT NOT NULL,
    entrance_addresses TEXT NOT NULL,
    issued_at INTEGER NOT NULL
  );
  CREATE INDEX issued_cards_uid ON issued_cards(card_uid);
  CREATE INDEX issued_cards_method ON issued_cards(access_method_id);
  CREATE INDEX issued_cards_reservation ON issued_cards(reservation_key);
  `,
  /* 6: the reconciler asks every pass for a device's deleted codes still to be cleared from the lock; the
     device index covers live rows only, so without this that question scanned the whole table. */ `
  CREATE INDEX access_codes_removing ON access_codes(device_id) WHERE deleted_at IS NOT NULL AND status = 'removing';
  `,
  /* 7: the reconciler's last full read of each device, so a restart need not read every slot again */ `
  ALTER TABLE devices ADD COLUMN full_scan_at INTEGER;
  `,
  /* 8: the outbox's delivery state beside the event log: webhooks, one cursor per consumer, webhook attempts */ `
  CREATE TABLE webhooks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id TEXT NOT NULL UNIQUE,
    url TEXT NOT NULL,
    event_types TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    -- Set when delivery gave up after the horizon; delivery pauses until the webhook is updated or an event re-sent.
    failing_since INTEGER,
    failing_reason TEXT
  );
  -- A consumer (webhook:<id>, later the uplink) has finished with every event up to last_seq (delivered,
  -- given up, or not wanted). The head event's retry state survives a restart so the horizon does too.
  CREATE TABLE outbox_cursors (
    consumer TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL,
    head_attempts INTEGER NOT NULL DEFAULT 0,
    head_first_failed_at INTEGER,
    updated_at INTEGER NOT NULL
  );
  -- attempt_id is a random UUID, unique by construction: no index (an index on random keys costs every insert).
  CREATE TABLE webhook_attempts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    attempt_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    status_code INTEGER,
    error TEXT,
    duration_ms INTEGER NOT NULL,
    attempted_at INTEGER NOT NULL,
    next_attempt_at INTEGER
  );
  CREATE INDEX webhook_attempts_webhook ON webhook_attempts(webhook_id, seq);
  CREATE INDEX webhook_attempts_time ON webhook_attempts(attempted_at);
  -- The last battery status announced (device.battery_status_changed), kept for its hysteresis.
  ALTER TABLE devices ADD COLUMN battery_status TEXT;
  `,
  /* 9: client sessions (seam_cst… tokens) and what each was granted. The token is kept because Seam returns it
     on every get; the lookup goes by its hash. */ `
  CREATE TABLE client_sessions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    client_session_id TEXT NOT NULL UNIQUE,
    token TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    user_identifier_key TEXT,
    user_identity_id TEXT,
    customer_key TEXT,
    connected_account_ids TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
  );
  CREATE INDEX client_sessions_user_identifier_key ON client_sessions(user_identifier_key) WHERE revoked_at IS NULL;
  `,
  /* 10: /acs/credentials/delete forgets a card that no longer opens anything; /devices/update
     keeps custom_metadata and a nickname (the driver's name stays in display_name, refreshed on discovery);
     /access_codes/report_device_constraints narrows the code lengths a driver reported ({min,max} JSON) */ `
  ALTER TABLE issued_cards ADD COLUMN deleted_at INTEGER;
  ALTER TABLE devices ADD COLUMN custom_metadata TEXT NOT NULL DEFAULT '{}';
  ALTER TABLE devices ADD COLUMN nickname TEXT;
  ALTER TABLE devices ADD COLUMN reported_code_lengths TEXT;
  `,
  /* 11: backup access codes — a pool of codes kept set on a lock (is_backup, waiting while
     backup_for_access_code_id is NULL), the code that may pull one (use_backup_pool) and the one it pulled;
     common_code_key lookups across creates */ `
  ALTER TABLE access_codes ADD COLUMN is_backup INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE access_codes ADD COLUMN use_backup_pool INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE access_codes ADD COLUMN pulled_backup_access_code_id TEXT;
  ALTER TABLE access_codes ADD COLUMN backup_for_access_code_id TEXT;
  ALTER TABLE devices ADD COLUMN backup_pool_enabled INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX access_codes_common_key ON access_codes(common_code_key) WHERE common_code_key IS NOT NULL;
  `,
  /* 12: when a code last started waiting for its lock (created, changed on the lock, deleted): the clock of the
     delay_in_setting/removing_from_device warnings. NULL for rows from before: created_at stands in. */ `
  ALTER TABLE access_codes ADD COLUMN pending_since INTEGER;
  `,
]
