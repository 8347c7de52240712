import Foundation

/// xoshiro256** (Blackman and Vigna), seeded through SplitMix64.
///
/// One generator drives initialisation and dropout during training; its four state words are saved
/// in the checkpoint, so a resumed run draws exactly the numbers the uninterrupted run would have.
public struct RandomGenerator: RandomNumberGenerator, Equatable, Sendable {
    public static let algorithm = "xoshiro256**"

    @usableFromInline var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
    }

    /// Restores a saved state. Returns nil for a state xoshiro cannot be in (all zero words).
    public init?(state: [UInt64]) {
        guard state.count == 4, state.contains(where: { $0 != 0 }) else { return nil }
        s0 = state[0]
        s1 = state[1]
        s2 = state[2]
        s3 = state[3]
    }

    public var state: [UInt64] { [s0, s1, s2, s3] }

    /// A generator for a separate purpose (for example the samples printed during training) whose
    /// numbers do not disturb the training stream.
    public static func derived(seed: UInt64, stream: UInt64) -> RandomGenerator {
        RandomGenerator(seed: seed ^ (stream &* 0xD134_2543_DE82_EF95) ^ 0x5851_F42D_4C95_7F2D)
    }

    @inlinable
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    @inlinable
    func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 24 random bits.
    @inlinable
    public mutating func uniformFloat() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Uniform in [0, 1) with 53 random bits.
    @inlinable
    public mutating func uniformDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Standard normal by the Box-Muller transform (one value per call, no cached second value,
    /// so the state alone describes the stream).
    public mutating func normal() -> Double {
        var u1 = uniformDouble()
        while u1 == 0 { u1 = uniformDouble() }
        let u2 = uniformDouble()
        return (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
    }
}
