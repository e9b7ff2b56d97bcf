// GPT-2 from and to GGUF with llama.cpp's tensor names (token_embd, blk.N.attn_qkv, ...). Loading keeps
// every matmul weight in the file's format, pointing into the mapping (no copy, no dequantize on the
// inference path); float copies go to the Module parameters so training and re-quantizing still work.
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

    /// Loads a llama.cpp-layout GPT-2 GGUF. F32/F16/Q8_0/Q4_0 matmul weights (and the head: `output.weight`,
    /// or the tied `token_embd.weight`) run in place from the mapped file.
    public static func load(gguf url: URL) throws -> GPT {
        let file = try GGUFFile(url: url)
        guard file.architecture == "gpt2" else {
            throw ModelError.unsupported("\(url.lastPathComponent): architecture '\(file.architecture ?? "none")', expected gpt2")
        }
        func int(_ key: String) throws -> Int {
            guard let v = file.metadata["gpt2." + key]?.intValue else { throw ModelError.invalidConfig("\(url.lastPathComponent): no gpt2.\(key)") }
            return v
        }
        let embedding = try file.requireTensor(named: "token_embd.weight")
        let eps = Float(file.metadata["gpt2.attention.layer_norm_epsilon"]?.doubleValue ?? 1e-5)
        let config = GPTConfig(nLayer: try int("block_count"), nHead: try int("attention.head_count"),
                               nEmbd: try int("embedding_length"), contextLength: try int("context_length"),
                               vocabularySize: embedding.shape[0], layerNormEpsilon: eps)
        let model = try GPT(config: config, seed: nil)
        func fill(_ t: Tensor, _ name: String, transpose: Bool = false) throws {
            let g = try file.requireTensor(named: name)
            let expected = transpose ? Array(t.shape.reversed()) : t.shape
            guard g.shape == expected else { throw ModelError.shapeMismatch(name: name, expected: expected, found: g.shape) }
            let values = try g.dequantize()
            if !transpose { values.withUnsafeBufferPointer { t.data.update(from: $0.baseAddress!, count: t.count) }; return }
            let (R, C) = (g.shape[0], g.shape[1])   // (out, in) → Conv1D (in, out)
            for r in 0..<R { for c in 0..<C { t.data[c * R + r] = values[r * C + c] } }
        }
        let weights = InferenceWeights(type: WeightType(rawValue: embedding.type.rawValue) ?? .f32)
        func borrow(_ name: String, for key: String) throws {
            let g = try file.requireTensor(named: name)
            guard let type = WeightType(rawValue: g.type.rawValue) else {
                throw ModelError.unsupported("\(name): \(g.type.name) weights (Quill runs F32, F16, Q8_0, Q4_0)")
            }
            let matrix = try g.withUnsafeBytes { raw in
                try WeightMatrix(borrowing: raw.baseAddress!, byteCount: raw.count, type: type, outputs: g.shape[0],
                                 inputs: g.shape[1], owner: file, name: name)
            }
            weights.set(key, matrix)
        }
        try fill(model.wte.weight, "token_embd.weight")
        try fill(model.wpe.weight, "position_embd.weight")
        for (i, block) in model.blocks.enumerated() {
            try fill(block.ln1.weight, "blk.\(i).attn_norm.weight"); try fill(block.ln1.bias, "blk.\(i).attn_norm.bias")
            try fill(block.ln2.weight, "blk.\(i).ffn_norm.weight"); try fill(block.ln2.bias, "blk.\(i).ffn_norm.bias")
            for (name, linear) in ggufMatmuls(block, i) {
                try fill(linear.weight, name + ".weight", transpose: true)
                if let bias = linear.bias { try fill(bias, name + ".bias") }
                try borrow(name + ".weight", for: linear.weight.name ?? "")
            }
        }
        try fill(model.lnF.weight, "output_norm.weight"); try fill(model.lnF.bias, "output_norm.bias")
        try borrow(file.tensor(named: "output.weight") != nil ? "output.weight" : "token_embd.weight", for: "wte.weight")
        model.inferenceWeights = weights
        return model
    }

    /// The model as llama.cpp-layout GGUF tensors: matmul weights and the token embedding in `type`
    /// (rows that are not whole blocks in F16), everything else F32. The head is tied (no output.weight).
    public func ggufWriter(type: WeightType, name: String = "gpt2") throws -> GGUFWriter {
        var w = GGUFWriter()
        let c = config
        w.addMetadata("general.architecture", .string("gpt2"))
        w.addMetadata("general.name", .string(name))
        w.addMetadata("general.file_type", .uint32(Self.fileType(type)))
        w.addMetadata("gpt2.context_length", .uint32(UInt32(c.contextLength)))
        w.addMetadata("gpt2.embedding_length", .uint32(UInt32(c.nEmbd)))
        w.addMetadata("gpt2.feed_forward_length", .uint32(UInt32(4 * c.nEmbd)))
        w.addMetadata("gpt2.block_count", .uint32(UInt32(c.nLayer)))
        w.addMetadata("gpt2.attention.head_count", .uint32(UInt32(c.nHead)))
        w.addMetadata("gpt2.attention.layer_norm_epsilon", .float32(c.layerNormEpsilon))
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
        switch type { case .f32: 0; case .f16: 1; case .q4_0: 2; case .q8_0: 7 }
    }
}
