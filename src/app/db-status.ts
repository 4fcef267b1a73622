// The vulnerability database's status for the service (`/readyz`, result keys): the same freshness rule as scans.
import { dbStatus, type DbStatus } from '../vulndb/index.ts';
import { DB_MAX_AGE_HOURS } from './scan.ts';

export function dbStatusOf(dbPath: string, now?: Date): DbStatus {
  return dbStatus(dbPath, { now, maxAgeHours: DB_MAX_AGE_HOURS });
}
