// The scenario ids (and the scenarios' descriptions) for the CLI, which loads this at startup: the
// registry loads no cluster, client or chart module.
export { scenarioIds, scenarios, type Scenario, type ScenarioId } from './scenarios/index.js';
