// File names inside the data dir (shared by the daemon and the CLI without loading the daemon).
export const DB_FILE = 'lockstep.db'
export const LAB_KEY_FILE = 'lab-api-key'
