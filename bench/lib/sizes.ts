/** How much a run does: the full run that updates the docs, and the short one CI runs. */
import type { Sizes } from './figures.js';

export const FULL: Sizes = {
  load: { connections: 10, durationSeconds: 10 },
  warmupSeconds: 2,
  repeats: 3,
  getPool: 1000,
  unsubAddresses: 300,
  unsubPeople: 11,
  multiBlocks: 10,
  activityLeadHistory: 500,
  sharing: [1, 10, 100, 1000, 10000],
  sharingRepeats: 9,
  historyCounts: [10, 100, 1000, 10000, 100000],
  tableGrowth: [300000, 1000000],
  pageSamples: 30,
};

export const QUICK: Sizes = {
  load: { connections: 10, durationSeconds: 2 },
  warmupSeconds: 0.5,
  repeats: 1,
  getPool: 200,
  unsubAddresses: 60,
  unsubPeople: 11,
  multiBlocks: 3,
  activityLeadHistory: 200,
  sharing: [1, 10, 100, 1000],
  sharingRepeats: 5,
  historyCounts: [10, 100, 1000, 10000],
  tableGrowth: [50000],
  pageSamples: 10,
};
