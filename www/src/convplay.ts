// The embedding entry, built to dist/convplay.js: a course page loads this one module and
// gets every ConvPlay web component registered, plus the JavaScript API:
//
//   <script type="module" src="convplay/convplay.js"></script>
//   <convplay-draw></convplay-draw>
//
// ConvPlay's files (MNIST, models) are found next to this module, wherever the folder is.

import { setAssetBase } from './assets';

setAssetBase(new URL(/* @vite-ignore */ './', import.meta.url));

import './components/convplay-summary';
import './components/convplay-draw';
import './components/convplay-train';
import './components/convplay-profile';
import './components/convplay-inside';
import './components/convplay-photo';
import './components/convplay-transfer';
import './components/convplay-model-lab';
import './components/compare/convplay-compare';
import './components/convplay-fcn';
import './components/convplay-zoo';
import './components/convplay-segment';
import './components/convplay-best';

export {
  createEngine,
  sharedEngine,
  ConvPlay,
  Model,
  FitRun,
  HeldData,
  ENGINE_STOPPED,
  EngineStoppedError,
  keras,
  classMaps,
  EVAL_SEED,
  SCENE_CLASSES,
  evaluateEnsemble,
} from './api/index';
export type {
  SceneOptions,
  SegmentIou,
  EnsembleEvaluation,
  EnsembleMember,
  BackendChoice,
  EngineInfo,
  InsideData,
  Summary,
  FitEpoch,
  FitProgress,
  FitResult,
  FitLook,
  FitCheckpoint,
  RestartDetail,
  Evaluation,
  Mistake,
  DataInfo,
  Usage,
  ModelInfo,
  Dataset,
  FitOptions,
  ImageInput,
  ImageOptions,
  Prediction,
  KerasImport,
  KerasIgnoredLine,
} from './api/index';
export { setAssetBase } from './assets';
export { fromTfjs, toTfjs, saveTfjs } from './api/tfjs';
export type { TfjsArtifacts, TfjsWeightSpec } from './api/tfjs';
export { toOnnx, saveOnnx } from './api/onnx';
