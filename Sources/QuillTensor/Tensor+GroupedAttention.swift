// Multi-head attention over separate q, k, v projections with grouped-query heads (Ainslie et al.
// 2023; plain multi-head when kvHeads == heads): causal for decoders (Llama), or bidirectional with
// a padding mask for encoders (BERT). Parallel over (batch, head) pairs; backward over kv groups.
import CQuillKernels

/// softmax(q·kᵀ/√hs + mask)·v per head. q: (B·T, NH·hs); k, v: (B·T, KVH·hs) → (B·T, NH·hs).
/// Query head h reads kv head h / (NH / KVH). With `causal`, position t sees keys 0...t. `lengths`
/// (one per batch row, 1...T) counts the real positions; keys at or after a row's length are
/// padding and never attended to. Outputs at padding positions are computed but meaningless.
public func groupedQueryAttention(query q: Tensor, key k: Tensor, value v: Tensor, batch B: Int, time T: Int,
                                  heads NH: Int, kvHeads KVH: Int, causal: Bool, lengths: [Int]? = nil) -> Tensor {
    precondition(NH > 0 && KVH > 0 && NH % KVH == 0, "attention: \(NH) heads not a multiple of \(KVH) kv heads")
    let C = q.lastDimension, hs = C / NH, KC = KVH * hs
    precondition(C == NH * hs && k.lastDimension == KC && v.lastDimension == KC,
                 "attention: q \(q.shape), k \(k.shape), v \(v.shape) do not fit \(NH)/\(KVH) heads")
    precondition(q.rows == B * T && k.rows == B * T && v.rows == B * T, "attention: need B·T = \(B * T) rows")
    let valid = lengths ?? Array(repeating: T, count: B)
    precondition(valid.count == B && valid.allSatisfy { $0 >= 1 && $0 <= T }, "attention: lengths must be B values in 1...T")
    let group = NH / KVH
    let y = Tensor(zeros: [B * T, C])
    let saving = GradientTape.current != nil && [q, k, v].contains { $0.requiresGrad }
    let att = TensorStorage(count: saving ? B * NH * T * T : 0)    // (B, NH, T, T) for backward
    Parallel.forEachChunk(B * NH) { pairs in
        let scratch = TensorStorage(count: saving ? 0 : T)
        for bh in pairs {
            let b = bh / NH, h = bh % NH, kvh = h / group
            qk_attention_head_forward(y.data + b * T * C + h * hs, C,
                                      saving ? att.pointer + bh * T * T : scratch.pointer, saving ? T : 0,
                                      q.data + b * T * C + h * hs, C, k.data + b * T * KC + kvh * hs,
                                      v.data + b * T * KC + kvh * hs, KC, T, hs, valid[b], causal ? 1 : 0)
        }
    }
    GradientTape.recordIfNeeded(inputs: [q, k, v], output: y) {
        guard let dy = y.grad else { return }
        let dq = q.requiresGrad ? q.ensureGrad() : Tensor(zeros: q.shape)
        let dk = k.requiresGrad ? k.ensureGrad() : Tensor(zeros: k.shape)
        let dv = v.requiresGrad ? v.ensureGrad() : Tensor(zeros: v.shape)
        // The query heads of one kv group share dk/dv columns: one task per (batch, kv head).
        Parallel.forEachChunk(B * KVH) { groups in
            let scratch = TensorStorage(count: T)
            for bg in groups {
                let b = bg / KVH, kvh = bg % KVH
                for h in kvh * group..<(kvh + 1) * group {
                    let qo = b * T * C + h * hs, ko = b * T * KC + kvh * hs
                    qk_attention_head_backward(dq.data + qo, dk.data + ko, dv.data + ko, dy.data + qo, C,
                                               q.data + qo, C, k.data + ko, v.data + ko, KC,
                                               att.pointer + (b * NH + h) * T * T, T, hs, valid[b],
                                               causal ? 1 : 0, scratch.pointer)
                }
            }
        }
    }
    return y
}
