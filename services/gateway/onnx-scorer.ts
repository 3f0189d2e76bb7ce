import type * as Ort from 'onnxruntime-node';
import { ValidationError } from '../common/index.js';
import { transform, validateArtifact } from '../trainer/builtin/index.js';
import { scoresFrom } from './scores.js';
import type { Scorer } from './types.js';

/** Tensor names of the reference trainer's export (infra/trainers/torch_mlp.py). */
export const ONNX_INPUT = 'input';
export const ONNX_OUTPUT = 'probabilities';

let runtime: Promise<typeof Ort> | undefined;

/** onnxruntime-node, imported on first use so a gateway serving only builtin models never loads the native library. */
function onnxRuntime(): Promise<typeof Ort> {
  runtime ??= import('onnxruntime-node').catch((err: unknown) => {
    runtime = undefined;
    throw new Error(`serving ONNX models needs onnxruntime-node, which did not load (npm ci installs it): ${(err as Error).message}`, { cause: err });
  });
  return runtime;
}

/**
 * An ONNX model as the reference PyTorch trainer writes it: the network only,
 * on PREPROCESSED features ("input" float32 [batch, width] -> "probabilities"
 * float32 [batch, classes]). Preprocessing, classes and the positive class come
 * from the model.json next to it (`modelJson`), whose layers are not used.
 * A warm-up run at load checks that the two files belong together.
 */
export async function onnxScorer(modelJson: unknown, onnxBytes: Buffer): Promise<Scorer> {
  const artifact = validateArtifact(modelJson);
  const { classes, positive_class: positiveClass, preprocessing } = artifact;
  const ort = await onnxRuntime();
  // One thread per session: requests are small and the event loop and Kafka need the other cores.
  const session = await ort.InferenceSession.create(onnxBytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  const k = classes.length;

  async function probabilitiesOf(input: Float32Array, rows: number): Promise<Float64Array> {
    const width = rows > 0 ? input.length / rows : 0;
    const out = await session.run({ [ONNX_INPUT]: new ort.Tensor('float32', input, [rows, width]) });
    const tensor = out[ONNX_OUTPUT]!;
    if (tensor.dims.length !== 2 || tensor.dims[0] !== rows || tensor.dims[1] !== k) {
      throw new ValidationError('/onnx', `output ${ONNX_OUTPUT} has shape [${tensor.dims.join(', ')}], expected [${rows}, ${k}] (one column per class of model.json)`);
    }
    return Float64Array.from(tensor.data as Float32Array);
  }

  try {
    if (!session.inputNames.includes(ONNX_INPUT) || !session.outputNames.includes(ONNX_OUTPUT)) {
      throw new ValidationError('/onnx', `must take "${ONNX_INPUT}" and give "${ONNX_OUTPUT}" (takes ${session.inputNames.join(', ')}, gives ${session.outputNames.join(', ')})`);
    }
    await probabilitiesOf(new Float32Array(transform(preprocessing, [{ numeric: {}, categorical: {} }]).data), 1);
  } catch (err) {
    await session.release();
    throw err;
  }

  return {
    format: 'onnx',
    classes,
    positiveClass,
    preprocessing,
    async score(rows) {
      const x = transform(preprocessing, rows);
      return scoresFrom(await probabilitiesOf(new Float32Array(x.data), rows.length), classes, positiveClass);
    },
    close: () => session.release(),
  };
}
