// Cached attention for one head against a KV cache of either type: F32 rows go to
// qk_attention_cached, F16 rows to qk_attention_cached_f16, which widens halves in registers.
// Legend: n new queries, pos0 their first position, hs head size.
import CQuillKernels
import QuillTensor

extension KVCache {
    /// Attends n queries (row i at q + i·ldq, position pos0 + i, seeing 0...pos0+i) to layer `l`'s
    /// rows, head columns column..<column+hs; writes row i of the result at out + i·ldo.
    /// `scratch` holds at least pos0 + n floats. The rows must already be stored.
    public func attend(layer l: Int, column: Int, headSize hs: Int, queries q: UnsafePointer<Float>, ldq: Int,
                       count n: Int, start pos0: Int, out: UnsafeMutablePointer<Float>, ldo: Int,
                       scratch: UnsafeMutablePointer<Float>) {
        precondition(pos0 >= 0 && n > 0 && pos0 + n <= capacity && column >= 0 && column + hs <= width,
                     "KVCache.attend: positions \(pos0)..<\(pos0 + n) or columns outside the cache")
        switch type {
        case .f32:
            qk_attention_cached(out, ldo, q, ldq, keys[l].pointer + column, values[l].pointer + column,
                                width, n, pos0, hs, scratch)
        case .f16:
            qk_attention_cached_f16(out, ldo, q, ldq, keyHalves(l) + column, valueHalves(l) + column,
                                    width, n, pos0, hs, scratch, Int32(QK_ISA_BEST))
        }
    }
}
