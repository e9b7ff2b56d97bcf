// Causal multi-head self-attention over a fused qkv projection (Vaswani et al. 2017, GPT-2's
// masked form): per (batch, head) P = softmax(q·kᵀ/√hs + mask), y = P·v, run in parallel over the
// B×NH pairs. Products go through single-threaded BLAS inside each worker; the plain-loop C kernels
// (qk_attention_forward/backward) stay as the reference the BLAS path is tested against.
import CQuillKernels

/// qkv: (B·T, 3C) rows [q | k | v] → (B·T, C). Heads are contiguous column blocks of size C/NH.
public func causalSelfAttention(_ qkv: Tensor, batch B: Int, time T: Int, heads NH: Int) -> Tensor {
    let C3 = qkv.lastDimension, C = C3 / 3
    precondition(C3 == 3 * C && C % NH == 0, "attention: qkv width \(C3) not 3·C with C divisible by \(NH) heads")
    precondition(qkv.rows == B * T, "attention: qkv has \(qkv.rows) rows, expected B·T = \(B * T)")
    let hs = C / NH
    let scale = 1 / Float(hs).squareRoot()
    let y = Tensor(zeros: [B * T, C])
    let att = TensorStorage(count: B * NH * T * T)  // (B, NH, T, T) probabilities, kept for backward
    Parallel.forEach(B * NH) { bh in
        let b = bh / NH, h = bh % NH
        let q = qkv.data + b * T * C3 + h * hs, k = q + C, v = q + 2 * C
        let p = att.pointer + bh * T * T
        // S = q·kᵀ·scale (T, T), then causal softmax row by row.
        BLAS.sgemmSerial(transposeA: false, transposeB: true, m: T, n: T, k: hs, alpha: scale,
                         a: q, lda: C3, b: k, ldb: C3, beta: 0, c: p, ldc: T)
        qk_causal_softmax_rows(p, T, 0, T)
        // y_h = P·v (T, hs)
        BLAS.sgemmSerial(transposeA: false, transposeB: false, m: T, n: hs, k: T, a: p, lda: T,
                         b: v, ldb: C3, beta: 0, c: y.data + b * T * C + h * hs, ldc: C)
    }
    GradientTape.recordIfNeeded(inputs: [qkv], output: y) {
        guard let dy = y.grad else { return }
        let dqkv = qkv.ensureGrad()
        Parallel.forEachChunk(B * NH) { pairs in
            let dp = TensorStorage(count: T * T)
            for bh in pairs {
                let b = bh / NH, h = bh % NH
                let q = qkv.data + b * T * C3 + h * hs, k = q + C, v = q + 2 * C
                let dq = dqkv.data + b * T * C3 + h * hs, dk = dq + C, dv = dq + 2 * C
                let p = att.pointer + bh * T * T, dO = dy.data + b * T * C + h * hs
                // dP = dO·vᵀ (T, T); dv += Pᵀ·dO (T, hs)
                BLAS.sgemmSerial(transposeA: false, transposeB: true, m: T, n: T, k: hs, a: dO, lda: C,
                                 b: v, ldb: C3, beta: 0, c: dp.pointer, ldc: T)
                BLAS.sgemmSerial(transposeA: true, transposeB: false, m: T, n: hs, k: T, a: p, lda: T,
                                 b: dO, ldb: C, beta: 1, c: dv, ldc: C3)
                // dS = P ⊙ (dP − rowsum(P ⊙ dP)) · scale, then dq += dS·k, dk += dSᵀ·q
                qk_causal_softmax_backward_rows(dp.pointer, p, T, 0, T, scale)
                BLAS.sgemmSerial(transposeA: false, transposeB: false, m: T, n: hs, k: T, a: dp.pointer, lda: T,
                                 b: k, ldb: C3, beta: 1, c: dq, ldc: C3)
                BLAS.sgemmSerial(transposeA: true, transposeB: false, m: T, n: hs, k: T, a: dp.pointer, lda: T,
                                 b: q, ldb: C3, beta: 1, c: dk, ldc: C3)
            }
        }
    }
    return y
}

/// The same op through the plain-loop C kernels: the reference the BLAS path is checked against.
public func causalSelfAttentionReference(_ qkv: Tensor, batch B: Int, time T: Int, heads NH: Int) -> Tensor {
    let C3 = qkv.lastDimension, C = C3 / 3, hs = C / NH
    let y = Tensor(zeros: [B * T, C])
    let att = TensorStorage(count: B * NH * T * T)
    Parallel.forEachChunk(B * NH) { pairs in
        let scratch = TensorStorage(count: hs * T)
        for bh in pairs {
            let b = bh / NH, h = bh % NH
            qk_attention_forward(y.data + b * T * C, att.pointer + bh * T * T, qkv.data + b * T * C3,
                                 T, C, hs, h, scratch.pointer)
        }
    }
    GradientTape.recordIfNeeded(inputs: [qkv], output: y) {
        guard let dy = y.grad else { return }
        let dqkv = qkv.ensureGrad()
        Parallel.forEachChunk(B * NH) { pairs in
            let scratch = TensorStorage(count: (hs + 1) * T)
            for bh in pairs {
                let b = bh / NH, h = bh % NH
                qk_attention_backward(dqkv.data + b * T * C3, dy.data + b * T * C, qkv.data + b * T * C3,
                                      att.pointer + bh * T * T, T, C, hs, h, scratch.pointer)
            }
        }
    }
    return y
}
