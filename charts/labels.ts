// Transitional: the drill still imports Placement from here while it is being reworked; the labels
// live in model/labels.ts. Remove once nothing imports this module.
export * from '../model/labels.js';
