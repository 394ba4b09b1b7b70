// Lore's evaluation harness: the question-set runner, the BEIR runner, metrics and the CI gate.
export { type BeirDataset, type BeirMetrics, readBeir, runBeir } from "./beir";
export { EVALDATA_CACHE, evaldataDir, locateSlice } from "./evaldata";
export { loadFolderCorpus } from "./folder";
export {
  type EvalCorpus,
  type GoldenQuestion,
  type GoldenReport,
  LEGS,
  type Leg,
  loadGolden,
  runCorpus,
  runGolden,
  SPLITS,
  type Split,
} from "./golden";
export {
  type CorpusThresholds,
  checkFusion,
  checkThresholds,
  compareMetrics,
  formatComparison,
  formatMarkdown,
  loadReport,
  loadThresholds,
  RESULTS_DIR,
  THRESHOLDS_FILE,
  type Thresholds,
  writeResults,
} from "./report";
export { AWS_SLICE, loadSuite, SUITES, type Suite } from "./suites";
