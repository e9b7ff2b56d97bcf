// The inference weight kernels against their references: every ISA path (AVX-512 VNNI, AVX2,
// scalar) gives the same integer block sums (checked exactly with unit scales), float results within
// a stated tolerance, and quantized products within the bound set by activation rounding.
import Testing
import CQuillKernels
import QuillTensor
import TestSupport

@Suite("WeightMatrix kernels")
struct WeightMatrixTests {
    static let paths = KernelISA.allCases.filter { $0 != .best && $0.rawValue <= KernelISA.available.rawValue }

    func random(_ shape: [Int], seed: UInt64, std: Float = 1) -> Tensor {
        GradientCheck.random(shape, std: std, seed: seed)
    }

    @Test func halfConversionMatchesSwiftFloat16() {
        for bits in 0...UInt16.max {
            let mine = qk_fp16_to_fp32(bits), swift = Float(Float16(bitPattern: bits))
            #expect(mine.bitPattern == swift.bitPattern || (mine.isNaN && swift.isNaN))
        }
        var rng = RandomGenerator(seed: 5)
        let specials: [Float] = [0, -0, 1, 65504, 65520, 1e-8, 6e-5, -3.1e-5, .infinity, -.infinity, 1e30]
        for x in specials + (0..<20_000).map({ _ in rng.nextNormal() * Float(1 << rng.nextInt(below: 20)) * 1e-4 }) {
            #expect(qk_fp32_to_fp16(x) == Float16(x).bitPattern, "x = \(x)")
        }
    }

    static let blockTypes = WeightType.allCases.filter(\.isQuantized)

    /// Unit fp16 scales (d, m, dmin) make every weight an integer and integer activations with a ±127
    /// in every activation block quantize to themselves (scale ±1), so every float step is exact and
    /// each path must return exactly Σ w·a, w read from the dequantized rows (checked bit for bit
    /// against gguf-py in BlockFormatTests). Block counts cover the AVX-512 four-block steps and every
    /// tail; the k-quants use small activations so no partial sum reaches 2^24.
    @Test(arguments: blockTypes, [1, 2, 3, 4, 5, 6, 7, 8, 9])
    func integerSumsAreExactOnEveryPath(type: WeightType, blocks nb: Int) throws {
        if type.isKQuant && nb > 3 { return }
        let N = 5, K = nb * type.blockSize
        var rng = RandomGenerator(seed: 11 + UInt64(nb))
        let blocks = UnitScaleBlocks.make(type, rows: N, inputs: K, rng: &rng)
        let x = UnitScaleBlocks.activation(K, blockSize: type.isKQuant ? 256 : 32, range: type.isKQuant ? 2 : 127, rng: &rng)
        let w = try blocks.withUnsafeBytes { raw in
            try WeightMatrix(borrowing: raw.baseAddress!, byteCount: raw.count, type: type, outputs: N, inputs: K,
                             owner: Tensor(zeros: [1])).dequantized()
        }
        let expected = (0..<N).map { r in Float((0..<K).reduce(0) { $0 + Int(w.data[r * K + $1]) * Int(x[$1]) }) }
        for isa in Self.paths {
            let y = blocks.withUnsafeBytes { raw in
                x.withUnsafeBufferPointer { xp in
                    let a = QuantizedActivation(xp.baseAddress!, count: K, for: type)
                    var y = [Float](repeating: 0, count: N)
                    qk_matvec_rows(&y, raw.baseAddress!, Int32(type.rawValue), N, K, xp.baseAddress!, a.q, a.d, a.corr, isa.rawValue)
                    return y
                }
            }
            #expect(y == expected, "\(type) \(isa)")
        }
    }

    /// K for the random-data tests: 33 blocks for the 32-element formats (a tail after the four-block
    /// steps), 5 super-blocks for the k-quants.
    static func inputs(_ type: WeightType) -> Int { type.isKQuant ? 5 * 256 : 33 * 32 }

    /// Every path against the scalar one on random data: equal up to float summation order
    /// (|Δ| ≤ 1e-5 · Σ|w·x| per row).
    @Test(arguments: WeightType.allCases)
    func pathsAgreeWithScalar(type: WeightType) throws {
        let N = 67, K = Self.inputs(type)
        let wt = random([N, K], seed: 21), x = random([K], seed: 22)
        let w = try WeightMatrix(tensor: wt, layout: .outputByInput, type: type)
        let reference = Tensor(zeros: [N])
        w.matvec(x.data, into: reference.data, isa: .scalar)
        let magnitude = (0..<N).map { r in (0..<K).reduce(Float(0)) { $0 + abs(wt.data[r * K + $1] * x.data[$1]) } }
        for isa in Self.paths {
            let y = Tensor(zeros: [N])
            w.matvec(x.data, into: y.data, isa: isa)
            for r in 0..<N { #expect(abs(y.data[r] - reference.data[r]) <= 1e-5 * magnitude[r], "\(type) \(isa) row \(r)") }
        }
    }

    /// Against the dequantized weights times the float activation. F32/F16: rounding only. Block
    /// formats: the activation rounding error |x − d·q| ≤ d/2 per element bounds |Δ| by
    /// Σ_j |w_j| · (max|x| over j's activation block / 254), the block being 32 elements or 256 (Q8_K).
    @Test(arguments: WeightType.allCases)
    func matchesDequantizedFloatProduct(type: WeightType) throws {
        let N = 40, K = 768
        let wt = random([N, K], seed: 31, std: 0.02), x = random([K], seed: 32)
        let w = try WeightMatrix(tensor: wt, layout: .outputByInput, type: type)
        let dense = w.dequantized()
        let y = Tensor(zeros: [N])
        w.matvec(x.data, into: y.data)
        let ab = type.isKQuant ? 256 : 32
        let blockMax = (0..<(K / ab)).map { b in (0..<ab).reduce(Float(0)) { max($0, abs(x.data[b * ab + $1])) } }
        for r in 0..<N {
            var exact: Double = 0, bound: Float = 0, magnitude: Float = 0
            for k in 0..<K {
                let wk = dense.data[r * K + k]
                exact += Double(wk) * Double(x.data[k])
                magnitude += abs(wk * x.data[k])
                if type.isQuantized { bound += abs(wk) * blockMax[k / ab] / 254 }
            }
            #expect(abs(Double(y.data[r]) - exact) <= Double(bound * 1.001 + 1e-5 * magnitude), "\(type) row \(r)")
        }
    }

    /// The sgemm (prefill) path equals the float product of the dequantized weights, and a Conv1D
    /// (in, out) weight gives the same matrix as its (out, in) transpose. (`apply` takes the int8 GEMM
    /// for Q8_0 / Q4_0 where enabled: Int8GemmTests checks it against the matvec bounded above.)
    @Test(arguments: WeightType.allCases)
    func gemmPathAndLayouts(type: WeightType) throws {
        let M = 9, N = 70, K = type.isKQuant ? 512 : 96
        let wt = random([N, K], seed: 41), x = random([M, K], seed: 42), bias = random([N], seed: 43)
        let w = try WeightMatrix(tensor: wt, layout: .outputByInput, type: type)
        let conv = Tensor(zeros: [K, N])
        for n in 0..<N { for k in 0..<K { conv.data[k * N + n] = wt.data[n * K + k] } }
        let w2 = try WeightMatrix(tensor: conv, layout: .inputByOutput, type: type)
        #expect(w.dequantized().scalars == w2.dequantized().scalars)
        let y = Tensor(zeros: [M, N])
        w.sgemm(x.data, rows: M, into: y.data)
        for i in 0..<M { qk_add_inplace(y.data + i * N, bias.data, N) }
        if !type.isQuantized { #expect(w.apply(x, bias: bias).scalars == y.scalars) }
        let reference = matmul(x, w.dequantized(), bias: bias, layout: .outputByInput)
        for i in 0..<(M * N) { #expect(abs(y.data[i] - reference.data[i]) <= 1e-4 * (1 + abs(reference.data[i]))) }
    }

    /// The batched decode product (one pass over the weights for several activations, in ≈ 64 KB row tiles,
    /// rows split over 2 workers) gives each activation exactly what `matvec` gives it alone.
    @Test(arguments: WeightType.allCases)
    func matvecOfManyEqualsEachAlone(type: WeightType) throws {
        // 11 activations: one AVX-512 multi-activation call of 8 and one of 3. K: 25 blocks (a tail after
        // the four-block steps), 5 k-quant super-blocks, or 808 floats (F16/F32 vector and scalar tails).
        let N = 700, K = type.isKQuant ? 1280 : type.blockSize == 32 ? 800 : 808, B = 11
        let w = try WeightMatrix(tensor: random([N, K], seed: 41, std: 0.02), layout: .outputByInput, type: type)
        #expect(w.rowBytes * N > 3 * (64 << 10), "several tiles")
        let xs = (0..<B).map { random([K], seed: 50 + UInt64($0)) }
        for isa in Self.paths {
            let alone = xs.map { x -> [Float] in
                let y = Tensor(zeros: [N])
                Parallel.withThreadCount(2) { w.matvec(x.data, into: y.data, isa: isa) }
                return y.scalars
            }
            let ys = (0..<B).map { _ in Tensor(zeros: [N]) }
            Parallel.withThreadCount(2) {
                w.matvec(many: xs.map { UnsafePointer($0.data) }, into: ys.map { $0.data }, isa: isa)
            }
            for s in 0..<B { #expect(ys[s].scalars == alone[s], "\(type) \(isa) activation \(s)") }
        }
    }

    @Test func rejectsRowsThatAreNotWholeBlocks() {
        #expect(throws: WeightMatrixError.self) { try WeightMatrix(tensor: Tensor(zeros: [4, 40]), layout: .outputByInput, type: .q8_0) }
        #expect(throws: WeightMatrixError.self) { try WeightMatrix(tensor: Tensor(zeros: [4, 576]), layout: .outputByInput, type: .q4_K) }
    }

    /// llama.cpp's fallback when a row is not a whole number of 256-blocks (SmolLM2's 576 inputs).
    @Test func fallbackTypes() {
        #expect(WeightType.q4_K.fallback(forInputs: 576) == .q5_0)
        #expect(WeightType.q5_K.fallback(forInputs: 576) == .q5_1)
        #expect(WeightType.q6_K.fallback(forInputs: 576) == .q8_0)
        #expect(WeightType.q3_K.fallback(forInputs: 576) == .q4_0)
        #expect(WeightType.q4_K.fallback(forInputs: 1536) == .q4_K)
        #expect(WeightType.q6_K.fallback(forInputs: 80) == .f16)
        #expect(WeightType.q4_1.fallback(forInputs: 40) == .f16)
        #expect(WeightType(name: "iq4_nl") == .iq4_NL && WeightType(name: "Q4_K") == .q4_K)
    }
}
