// The int8 GEMM (Q8_0 / Q4_0 prefill) against its references: exact integer block sums on every ISA
// path (unit scales), the scalar path within float-summation tolerance on random data, the per-row
// decode kernel (same activation quantization, so only float order differs), and odd tile shapes.
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

    /// Blocks with fp16 scale 1.0 and random values (Q8_0 including −128); returns (bytes, values).
    func unitScaleBlocks(_ type: WeightType, N: Int, K: Int, rng: inout RandomGenerator) -> ([UInt8], [Int]) {
        let rb = type.rowBytes(K), bb = rb / (K / 32)
        var blocks = [UInt8](repeating: 0, count: N * rb), w = [Int](repeating: 0, count: N * K)
        for r in 0..<N {
            for b in 0..<(K / 32) {
                let o = r * rb + b * bb
                blocks[o + 1] = 0x3C                                                   // fp16 1.0
                for j in 0..<32 {
                    if type == .q8_0 {
                        let v = rng.nextInt(below: 256) - 128
                        blocks[o + 2 + j] = UInt8(bitPattern: Int8(v)); w[r * K + b * 32 + j] = v
                    } else {
                        let v = rng.nextInt(below: 16)
                        blocks[o + 2 + j % 16] |= j < 16 ? UInt8(v) : UInt8(v) << 4
                        w[r * K + b * 32 + j] = v - 8
                    }
                }
            }
        }
        return (blocks, w)
    }

    /// y = qk_gemm_q8_rows on raw blocks for one ISA.
    func run(_ blocks: UnsafeRawPointer, _ type: WeightType, N: Int, K: Int, _ a: QuantizedActivationRows, _ isa: KernelISA) -> [Float] {
        var y = [Float](repeating: .nan, count: a.rows * N)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: qk_gemm_q8_scratch_bytes(K), alignment: 64)
        defer { scratch.deallocate() }
        qk_gemm_q8_rows(&y, N, blocks, Int32(type.rawValue), N, K, a.q, a.d, a.corr, a.rows, scratch, isa.rawValue)
        return y
    }

    /// Integer activations with a 127 in every block quantize to themselves with scale 1, so with unit
    /// weight scales every float step is exact and each path must return exactly Σ w·a. M = 7 and
    /// N = 37 leave partial tiles (4 + 3 rows, 32 + 5 weight rows); 9 blocks per row.
    @Test(arguments: [WeightType.q8_0, .q4_0])
    func integerSumsAreExactOnEveryPath(type: WeightType) {
        let M = 7, N = 37, K = 9 * 32
        var rng = RandomGenerator(seed: 51)
        let (blocks, w) = unitScaleBlocks(type, N: N, K: K, rng: &rng)
        var x = (0..<(M * K)).map { _ in Float(rng.nextInt(below: 255) - 127) }
        for i in 0..<M { for b in 0..<(K / 32) { x[i * K + b * 32 + rng.nextInt(below: 32)] = rng.nextInt(below: 2) == 0 ? 127 : -127 } }
        var expected = [Float](repeating: 0, count: M * N)
        for i in 0..<M { for r in 0..<N { expected[i * N + r] = Float((0..<K).reduce(0) { $0 + w[r * K + $1] * Int(x[i * K + $1]) }) } }
        let a = x.withUnsafeBufferPointer { QuantizedActivationRows($0.baseAddress!, rows: M, count: K) }
        for isa in Self.paths {
            let y = blocks.withUnsafeBytes { run($0.baseAddress!, type, N: N, K: K, a, isa) }
            #expect(y == expected, "\(type) \(isa)")
        }
    }

    /// Random data, every (M, N) edge case: each path within 1e-5 · Σ|w·x| of the scalar path
    /// (same integer sums; fma vs mul+add and the order of the float sums differ).
    @Test(arguments: [WeightType.q8_0, .q4_0], [(1, 67), (3, 32), (4, 31), (5, 33), (9, 70), (16, 64)])
    func pathsAgreeWithScalar(type: WeightType, shape: (Int, Int)) throws {
        let (M, N) = shape, K = 11 * 32
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
    /// so the results agree to float summation order (1e-5 · Σ|w·x|); and `apply` on M ≥ 4 rows takes
    /// the GEMM when enabled, giving the same numbers.
    @Test(arguments: [WeightType.q8_0, .q4_0])
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
                if WeightMatrix.int8GemmEnabled { #expect(applied.data[i * N + r] == y.data[i * N + r]) }
            }
        }
    }
}
