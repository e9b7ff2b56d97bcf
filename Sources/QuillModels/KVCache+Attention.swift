// Cached attention for one head against a KV cache of either type: F32 rows go to
// qk_attention_cached, F16 rows to qk_attention_cached_f16, which widens halves in registers. The
// head's keys are contiguous (head-major cache), so the kernels stream them with stride hs.
// Legend: n new queries, pos0 their first position, hs head size.
import CQuillKernels
import QuillTensor

extension KVCache {
    /// Attends n queries (row i at q + i·ldq, position pos0 + i, seeing 0...pos0+i) to layer `l`'s
    /// kv head `head`; writes row i of the result at out + i·ldo. `scratch` holds at least pos0 + n
    /// floats. The rows must already be stored.
    public func attend(layer l: Int, head: Int, queries q: UnsafePointer<Float>, ldq: Int, count n: Int,
                       start pos0: Int, out: UnsafeMutablePointer<Float>, ldo: Int,
                       scratch: UnsafeMutablePointer<Float>) {
        precondition(pos0 >= 0 && n > 0 && pos0 + n <= capacity && head >= 0 && head < heads,
                     "KVCache.attend: positions \(pos0)..<\(pos0 + n) or head \(head) outside the cache")
        let hs = headSize, at = offset(head: head, position: 0)          // (capacity, hs) rows of this head
        switch type {
        case .f32:
            qk_attention_cached(out, ldo, q, ldq, keys[l].pointer + at, values[l].pointer + at, hs, n, pos0, hs, scratch)
        case .f16:
            qk_attention_cached_f16(out, ldo, q, ldq, keyHalves(l) + at, valueHalves(l) + at, hs, n, pos0, hs,
                                    scratch, Int32(QK_ISA_BEST))
        }
    }
}
