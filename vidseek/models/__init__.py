"""Loading models: specs, presets, folders, encoders (torch or ONNX Runtime), the CLIP tokenizer."""
