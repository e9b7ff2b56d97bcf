// GPT-2 from and to GGUF with llama.cpp's tensor names (token_embd, blk.N.attn_qkv, ...). Loading keeps
// every matmul weight in the file's format, pointing into the mapping (no copy, no dequantize on the
// inference path); the float parameters are filled on demand, so training and re-quantizing still work.
import Foundation
import QuillFormats
import QuillNN
import QuillTensor

extension GPT {
    /// llama.cpp's name for each matmul weight of block `i` → the Linear it feeds.
    static func ggufMatmuls(_ block: GPTBlock, _ i: Int) -> [(String, Linear)] {
        [("blk.\(i).attn_qkv", block.attnQKV), ("blk.\(i).attn_output", block.attnProj),
         ("blk.\(i).ffn_up", block.mlpFC), ("blk.\(i).ffn_down", block.mlpProj)]
    }

    /// Loads a llama.cpp-layout GPT-2 GGUF for inference. F32/F16/Q8_0/Q4_0 matmul weights (and the head:
    /// `output.weight`, or the tied `token_embd.weight`) run in place from the mapped file; their float
    /// copies are filled on first use (see `materialize()`).
    public static func load(gguf url: URL) throws -> GPT {
        let file = try GGUFFile(url: url)
        guard file.architecture == "gpt2" else {
            throw ModelError.unsupported("\(url.lastPathComponent): architecture '\(file.architecture ?? "none")', expected gpt2")
        }
        return try GGUFCheckpoint.inferenceGPT(file)
    }

    /// The model as llama.cpp-layout GGUF tensors: matmul weights and the token embedding in `type`
    /// (rows that are not whole blocks in F16), everything else F32. The head is tied (no output.weight).
    public func ggufWriter(type: WeightType, name: String = "gpt2") throws -> GGUFWriter {
        materialize()
        var w = GGUFWriter()
        let c = config
        GGUFHyperparameters.addGPT2(c, to: &w)
        w.addMetadata("general.name", .string(name))
        w.addMetadata("general.file_type", .uint32(Self.fileType(type)))
        if type.isQuantized { w.addMetadata("general.quantization_version", .uint32(2)) }
        func add(_ name: String, _ t: Tensor, _ layout: WeightLayout? = nil) throws {
            guard let layout else { try w.addTensor(name: name, shape: t.shape, floats: t.scalars, as: .f32); return }
            let m = try InferenceWeights.convert(t, layout: layout, type: type)            // (out, in) rows
            let bytes = Array(UnsafeRawBufferPointer(start: m.base, count: m.byteCount))
            try w.addTensor(name: name, type: GGMLType(rawValue: m.type.rawValue)!, shape: [m.outputs, m.inputs], bytes: bytes)
        }
        try add("token_embd.weight", wte.weight, .outputByInput)
        try add("position_embd.weight", wpe.weight)
        for (i, block) in blocks.enumerated() {
            try add("blk.\(i).attn_norm.weight", block.ln1.weight); try add("blk.\(i).attn_norm.bias", block.ln1.bias)
            try add("blk.\(i).ffn_norm.weight", block.ln2.weight); try add("blk.\(i).ffn_norm.bias", block.ln2.bias)
            for (name, linear) in Self.ggufMatmuls(block, i) {
                try add(name + ".weight", linear.weight, .inputByOutput)
                try add(name + ".bias", linear.bias ?? Tensor(zeros: [linear.weight.shape[1]]))
            }
        }
        try add("output_norm.weight", lnF.weight); try add("output_norm.bias", lnF.bias)
        return w
    }

    /// llama.cpp's `general.file_type` (LLAMA_FTYPE_*) for a file mostly in `type`.
    static func fileType(_ type: WeightType) -> UInt32 {
        type.llamaFileType
    }
}
