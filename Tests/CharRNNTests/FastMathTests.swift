import Foundation
import Testing

@testable import CharRNN

/// The vectorisable exp, tanh and sigmoid stay within a few ulp of libm.
struct FastMathTests {
    func ulps(_ a: Float, _ b: Float) -> Float { abs(a - b) / max(b.ulp, Float.leastNormalMagnitude) }

    @Test func expTanhAndSigmoidAreAccurate() {
        var worstExp: Float = 0, worstTanh: Float = 0, worstSigmoid: Float = 0
        var x: Float = -30
        while x <= 30 {
            worstExp = max(worstExp, ulps(FastMath.exp(x), Foundation.exp(x)))
            // tanh near 0 is compared absolutely (its value is below one ulp of 1).
            worstTanh = max(worstTanh, abs(FastMath.tanh(x) - Foundation.tanh(x)) / max(Foundation.tanh(x).magnitude.ulp, Float(1e-8)))
            worstSigmoid = max(worstSigmoid, ulps(FastMath.sigmoid(x), 1 / (1 + Foundation.exp(-x))))
            x += 0.001
        }
        print("fast math worst error: exp \(worstExp) ulp, tanh \(worstTanh) ulp, sigmoid \(worstSigmoid) ulp")
        #expect(worstExp <= 4)
        #expect(worstTanh <= 4)
        #expect(worstSigmoid <= 4)
    }

    @Test func extremesAndNaN() {
        #expect(FastMath.exp(-200) < 1e-37)
        #expect(FastMath.exp(200) > 1e38)
        #expect(FastMath.tanh(50) == 1 && FastMath.tanh(-50) == -1)
        #expect(FastMath.sigmoid(-200) < 1e-37 && FastMath.sigmoid(200) == 1)
        #expect(FastMath.exp(.nan).isNaN && FastMath.tanh(.nan).isNaN && FastMath.sigmoid(.nan).isNaN)
    }
}
