// Lore's evaluation harness: the golden-set runner, the BEIR runner, metrics and the CI gate.
export { type BeirDataset, type BeirMetrics, readBeir, runBeir } from "./beir";
export {
  type GoldenQuestion,
  type GoldenReport,
  loadGolden,
  runGolden,
  SPLITS,
  type Split,
} from "./golden";
export {
  checkThresholds,
  compareMetrics,
  formatComparison,
  formatMarkdown,
  loadReport,
  loadThresholds,
  THRESHOLDS_FILE,
  writeResults,
} from "./report";
