/** The drill's scenarios in the order they run: each starts from the state the one before leaves. */
export const scenarioIds = ['baseline', 'kill-primary', 'restart-old-primary', 'portals', 'sentinel-quorum', 'partition', 'power-cycle', 'rolling-restart'] as const;
export type ScenarioId = (typeof scenarioIds)[number];
