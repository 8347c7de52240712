/// Branch-free single-precision exp, tanh and sigmoid for the gate loops.
///
/// glibc's `expf`/`tanhf` are calls the compiler cannot vectorise; these are plain arithmetic on
/// floats and integer bit patterns, so loops over contiguous gates vectorise. Accuracy: within a
/// few ulp of the correctly rounded result (checked against libm in the tests), NaN propagates.
public enum FastMath {
    /// e^x, Cephes-style: x = n ln2 + r with |r| <= ln2/2, e^r by a degree-6 polynomial, 2^n by
    /// building the exponent bits.
    @inlinable @inline(__always)
    public static func exp(_ x: Float) -> Float {
        let clamped = x < -87.0 ? -87.0 : (x > 88.0 ? 88.0 : x)
        // Adding 1.5 * 2^23 rounds to an integer (ties to even) and leaves it in the low bits of
        // the significand. A literal, not a stored constant, so the loop stays vectorisable.
        let shifted = clamped * 1.442_695_04 + 12_582_912
        let n = shifted - 12_582_912
        let exponent = Int32(bitPattern: shifted.bitPattern) &- 0x4B40_0000
        var r = clamped - n * 0.693_359_375
        r = r - n * -2.121_944_40e-4
        var p: Float = 1.987_569_150_0e-4
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * (r * r) + r + 1
        let scale = Float(bitPattern: UInt32(bitPattern: (exponent &+ 127) &<< 23))
        let result = p * scale
        return x != x ? x : result
    }

    /// tanh(x): an odd polynomial near zero (where 1 - 2/(e^2x + 1) would cancel), the exp form
    /// elsewhere.
    @inlinable @inline(__always)
    public static func tanh(_ x: Float) -> Float {
        let a = x < 0 ? -x : x
        let z = x * x
        var p: Float = -5.704_988_727_45e-3
        p = p * z + 2.063_908_879_54e-2
        p = p * z - 5.373_971_555_31e-2
        p = p * z + 1.333_144_220_36e-1
        p = p * z - 3.333_328_194_22e-1
        let small = p * z * x + x
        let e = exp(2 * a)
        let largeMagnitude = 1 - 2 / (e + 1)
        let large = x < 0 ? -largeMagnitude : largeMagnitude
        return a < 0.625 ? small : large
    }

    /// The logistic sigmoid 1 / (1 + e^-x).
    @inlinable @inline(__always)
    public static func sigmoid(_ x: Float) -> Float {
        1 / (1 + exp(-x))
    }
}
