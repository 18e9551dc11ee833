import type { ActivityLog, LeadStore, StatusStore, WriteScope } from '../../domain/ports.js';
import type { BatchState } from './batch-state.js';
import { BatchUnsupported } from './batch-errors.js';

/**
 * The write scope of the domain's rules over a batch's memory (batch-state.ts): the same port
 * the single path's SQL repositories serve (domain/ports/write-scope.ts), so the rules run
 * unchanged on either. Plain objects, no inheritance, so a call the rules start making fails
 * to compile here until it is served. Reads hand out the records themselves: a change never
 * mutates one, it puts a new one in its place, so what a caller holds stays as it was read.
 *
 * Every method is one plain call into the memory: a store method that awaited another cost
 * every record of a batch an async call more (allocations, a microtask).
 */
export function batchWriteScope(state: BatchState): WriteScope {
  const leads: LeadStore = {
    async findById(id) {
      return state.findById(id);
    },
    async findByForeignId(foreignId) {
      return state.findByForeignId(foreignId);
    },
    async findLatestByEmailKey(key, _lock, partitions) {
      return state.findLatestByEmailKey(key, partitions);
    },
    async lockRow(lead) {
      return state.current(lead.id);
    },
    async insert(lead) {
      return state.insertLead(lead);
    },
    async update(id, change, now) {
      return state.updateLead(id, change, now) !== null;
    },
    async propagateUnsubscribed(key, unsubscribed, exceptLeadId, now, activity) {
      return state.propagate(key, unsubscribed, exceptLeadId, now, activity);
    },
  };
  const emailStatus: StatusStore = {
    async get(key) {
      const s = state.status(key);
      return s ? { ...s } : null;
    },
    async set(status) {
      state.setStatus(status);
    },
    // Not loaded (rare: an address with 'ß', 'ς', 'ı' or 'İ' in its domain and no status of
    // its own): the records take the path of one at a time, which reads it.
    async joinedOptOuts() {
      throw new BatchUnsupported('a joined opt-out to read');
    },
  };
  const activities: ActivityLog = {
    async insert(list) {
      state.pushActivities(list);
    },
  };
  return {
    leads,
    emailStatus,
    activities,
    async lockEmailKeys(keys) {
      state.checkKeys(keys);
    },
    async lockAndFindLatest(key, otherKey, partitions) {
      state.checkKey(key);
      if (otherKey !== null) state.checkKey(otherKey);
      return state.findLatestByEmailKey(key, partitions);
    },
    async setStatusAndPropagate(status, exceptLeadId, activity) {
      state.setStatus(status);
      const { emailKey: key, unsubscribed, changedAt: now } = status;
      return state.propagate(key, unsubscribed, exceptLeadId, now, activity);
    },
    async updateLogged(lead, change, now, list) {
      const after = state.updateLead(lead.id, change, now);
      if (after) state.pushActivities(list);
      return after;
    },
  };
}
