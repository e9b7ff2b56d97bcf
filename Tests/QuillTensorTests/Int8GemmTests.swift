// The int8 GEMMs (block-format prefill: qk_gemm_q8_rows for the 32-element formats, qk_gemm_k_rows for
// the k-quants) against their references: exact integer block sums on every ISA path (unit scales),
// the scalar path within float-summation tolerance on random data, the per-row decode kernel (same
// activation quantization, so only float order differs), and odd tile shapes.
import Testing
import CQuillKernels
import QuillTensor
import TestSupport

@Suite("Int8 GEMM kernels")
struct Int8GemmTests {
    static let paths = KernelISA.allCases.filter { $0 != .best && $0.rawValue <= KernelISA.available.rawValue }

    func random(_ shape: [Int], seed: UInt64, std: Float = 1) -> Tensor {
        GradientCheck.random(shape, std: std, seed: seed)
    }

    static let blockTypes = WeightType.allCases.filter(\.isQuantized)

    /// y = the int8 GEMM on raw blocks for one ISA.
    func run(_ blocks: UnsafeRawPointer, _ type: WeightType, N: Int, K: Int, _ a: QuantizedActivationRows, _ isa: KernelISA) -> [Float] {
        var y = [Float](repeating: .nan, count: a.rows * N)
        if type.isKQuant {
            qk_gemm_k_rows(&y, N, blocks, Int32(type.rawValue), N, K, a.q, a.rows, isa.rawValue)
            return y
        }
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: qk_gemm_q8_scratch_bytes(K), alignment: 64)
        defer { scratch.deallocate() }
        qk_gemm_q8_rows(&y, N, blocks, Int32(type.rawValue), N, K, a.q, a.d, a.corr, a.rows, scratch, isa.rawValue)
        return y
    }

    /// Integer activations with a ±127 in every block quantize to themselves with scale ±1, so with unit
    /// weight scales (UnitScaleBlocks) every float step is exact and each path must return exactly Σ w·a.
    /// M = 7 and N = 37 leave partial tiles (4 + 3 rows, 32 + 5 weight rows); 9 blocks per row for the
    /// 32-element formats, 2 super-blocks (with small activations) for the k-quants.
    @Test(arguments: blockTypes)
    func integerSumsAreExactOnEveryPath(type: WeightType) throws {
        let M = 7, N = 37, K = type.isKQuant ? 512 : 9 * 32
        var rng = RandomGenerator(seed: 51)
        let blocks = UnitScaleBlocks.make(type, rows: N, inputs: K, rng: &rng)
        let x = (0..<M).flatMap { _ in
            UnitScaleBlocks.activation(K, blockSize: type.isKQuant ? 256 : 32, range: type.isKQuant ? 2 : 127, rng: &rng)
        }
        let w = try blocks.withUnsafeBytes { raw in
            try WeightMatrix(borrowing: raw.baseAddress!, byteCount: raw.count, type: type, outputs: N, inputs: K,
                             owner: Tensor(zeros: [1])).dequantized()
        }
        var expected = [Float](repeating: 0, count: M * N)
        for i in 0..<M { for r in 0..<N { expected[i * N + r] = Float((0..<K).reduce(0) { $0 + Int(w.data[r * K + $1]) * Int(x[i * K + $1]) }) } }
        let a = x.withUnsafeBufferPointer { QuantizedActivationRows($0.baseAddress!, rows: M, count: K, for: type) }
        for isa in Self.paths {
            let y = blocks.withUnsafeBytes { run($0.baseAddress!, type, N: N, K: K, a, isa) }
            #expect(y == expected, "\(type) \(isa)")
        }
    }

    /// Random data, every (M, N) edge case: each path within 1e-5 · Σ|w·x| of the scalar path
    /// (same integer sums; fma vs mul+add and the order of the float sums differ).
    @Test(arguments: blockTypes, [(1, 67), (3, 32), (4, 31), (5, 33), (9, 70), (16, 64)])
    func pathsAgreeWithScalar(type: WeightType, shape: (Int, Int)) throws {
        let (M, N) = shape, K = type.isKQuant ? 3 * 256 : 11 * 32
        let wt = random([N, K], seed: 61), x = random([M, K], seed: 62)
        let w = try WeightMatrix(tensor: wt, layout: .outputByInput, type: type)
        let reference = Tensor(zeros: [M, N])
        w.int8Gemm(x.data, rows: M, into: reference.data, isa: .scalar)
        for isa in Self.paths {
            let y = Tensor(zeros: [M, N])
            w.int8Gemm(x.data, rows: M, into: y.data, isa: isa)
            for i in 0..<M {
                for r in 0..<N {
                    let magnitude = (0..<K).reduce(Float(0)) { $0 + abs(wt.data[r * K + $1] * x.data[i * K + $1]) }
                    #expect(abs(y.data[i * N + r] - reference.data[i * N + r]) <= 1e-5 * magnitude, "\(type) \(isa) (\(i), \(r))")
                }
            }
        }
    }

    /// The GEMM against the decode kernel row by row: both quantize each activation row the same way,
    /// so the results agree to float summation order (1e-5 · Σ|w·x|; the k-quant GEMM runs the decode
    /// kernel itself, so there they are equal); and `apply` on M ≥ 4 rows takes the GEMM when enabled,
    /// giving the same numbers.
    @Test(arguments: blockTypes)
    func matchesPerRowMatvec(type: WeightType) throws {
        let M = 13, N = 100, K = 768
        let wt = random([N, K], seed: 71, std: 0.02), x = random([M, K], seed: 72)
        let w = try WeightMatrix(tensor: wt, layout: .outputByInput, type: type)
        let y = Tensor(zeros: [M, N])
        w.int8Gemm(x.data, rows: M, into: y.data)
        let applied = w.apply(x)
        let row = Tensor(zeros: [N])
        for i in 0..<M {
            w.matvec(x.data + i * K, into: row.data)
            for r in 0..<N {
                let magnitude = (0..<K).reduce(Float(0)) { $0 + abs(wt.data[r * K + $1] * x.data[i * K + $1]) }
                #expect(abs(y.data[i * N + r] - row.data[r]) <= 1e-5 * magnitude, "\(type) (\(i), \(r))")
                if type.isKQuant { #expect(y.data[i * N + r] == row.data[r], "\(type) (\(i), \(r))") }
                if WeightMatrix.int8GemmEnabled { #expect(applied.data[i * N + r] == y.data[i * N + r]) }
            }
        }
    }
}
