// Causal multi-head self-attention over a fused qkv projection (Vaswani et al. 2017, GPT-2's
// masked form): per (batch, head) softmax(q·kᵀ/√hs + mask)·v, run in parallel over B×NH pairs.
import CQuillKernels

/// qkv: (B·T, 3C) rows [q | k | v] → (B·T, C). Heads are contiguous column blocks of size C/NH.
public func causalSelfAttention(_ qkv: Tensor, batch B: Int, time T: Int, heads NH: Int) -> Tensor {
    let C3 = qkv.lastDimension, C = C3 / 3
    precondition(C3 == 3 * C && C % NH == 0, "attention: qkv width \(C3) not 3·C with C divisible by \(NH) heads")
    precondition(qkv.rows == B * T, "attention: qkv has \(qkv.rows) rows, expected B·T = \(B * T)")
    let hs = C / NH
    let y = Tensor(zeros: [B * T, C])
    let att = TensorStorage(count: B * NH * T * T)  // (B, NH, T, T) probabilities
    Parallel.forEach(B * NH) { bh in
        let b = bh / NH, h = bh % NH
        qk_attention_forward(y.data + b * T * C, att.pointer + bh * T * T, qkv.data + b * T * C3,
                             T, C, hs, h)
    }
    GradientTape.recordIfNeeded(inputs: [qkv], output: y) {
        guard let dy = y.grad else { return }
        let dqkv = qkv.ensureGrad()
        Parallel.forEachChunk(B * NH) { pairs in
            let scratch = TensorStorage(count: T)
            for bh in pairs {
                let b = bh / NH, h = bh % NH
                qk_attention_backward(dqkv.data + b * T * C3, dy.data + b * T * C, qkv.data + b * T * C3,
                                      att.pointer + bh * T * T, T, C, hs, h, scratch.pointer)
            }
        }
    }
    return y
}
