"""Reads an ONNX file with ONNX's own checker and runs it in ONNX Runtime on the inputs given,
for tests/onnx.test.mjs. Input: a JSON file {"model": path, "shape": [h, w, c] or [n],
"inputs": [[values in ConvPlay's h, w, c order], ...]}. Prints JSON: the opset, the operators,
the input and output shapes, and the outputs."""

import json
import sys

import numpy as np
import onnx
import onnxruntime as ort

job = json.load(open(sys.argv[1]))
model = onnx.load(job["model"])
onnx.checker.check_model(model, full_check=True)
session = ort.InferenceSession(job["model"], providers=["CPUExecutionProvider"])
x = np.array(job["inputs"], dtype=np.float32).reshape([len(job["inputs"]), *job["shape"]])
if x.ndim == 4:
    x = x.transpose(0, 3, 1, 2)  # NHWC → NCHW, as the exported model expects
(out,) = session.run(None, {session.get_inputs()[0].name: x})
print(
    json.dumps(
        {
            "opset": [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")],
            "ir": model.ir_version,
            "ops": sorted({n.op_type for n in model.graph.node}),
            "input": [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim],
            "output": [d.dim_param or d.dim_value for d in model.graph.output[0].type.tensor_type.shape.dim],
            "outputs": out.tolist(),
        }
    )
)
