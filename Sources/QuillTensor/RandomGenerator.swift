// Quill's one seeded random number generator: xoshiro256** seeded through SplitMix64
// (Blackman & Vigna). Same seed ⇒ same stream on every run and thread count, because every
// draw happens on the caller's thread in program order. Its state is saved in checkpoints.

/// A small, fast, reproducible PRNG. Value type: copy it to fork a stream.
public struct RandomGenerator: RandomNumberGenerator, Codable, Equatable {
    public private(set) var state: [UInt64]
    private var spareNormal: Float?

    public init(seed: UInt64) {
        var s = seed
        func splitMix() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = [splitMix(), splitMix(), splitMix(), splitMix()]
    }

    public mutating func next() -> UInt64 {
        let result = rotl(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotl(state[3], 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }

    /// Uniform in [0, 1) with 24 bits of precision.
    public mutating func nextFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// Uniform in [0, 1) with 53 bits of precision.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform integer in 0..<bound (unbiased, Lemire's method via the standard library).
    public mutating func nextInt(below bound: Int) -> Int {
        Int.random(in: 0..<bound, using: &self)
    }

    /// Standard normal draw (Box–Muller; pairs cached).
    public mutating func nextNormal() -> Float {
        if let z = spareNormal {
            spareNormal = nil
            return z
        }
        var u1 = nextDouble()
        while u1 <= 1e-300 { u1 = nextDouble() }
        let u2 = nextDouble()
        let r = (-2 * _log(u1)).squareRoot()
        let theta = 2 * Double.pi * u2
        spareNormal = Float(r * _sin(theta))
        return Float(r * _cos(theta))
    }
}

import Foundation
@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { Foundation.sin(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }
