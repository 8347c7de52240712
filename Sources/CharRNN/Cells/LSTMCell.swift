import CKernels

/// The LSTM cell with PyTorch's gate order i, f, g, o:
/// i, f, o = sigmoid(.), g = tanh(.), c' = f*c + i*g, h' = o*tanh(c').
enum LSTMCell {
    /// `gates` ([B, 4H]) holds W_ih x + W_hh h for the step and is overwritten with i, f, g, o.
    /// Rows of the gates are `gateStride` apart, rows of the cell and hidden states (and of
    /// tanhCell) `stateStride` apart, so that a slice of the units can be computed on its own.
    @inline(__always)
    static func forward<S: ModelScalar>(
        gates: UnsafeMutablePointer<S>, bias: UnsafePointer<S>, previousCell: UnsafePointer<S>,
        nextCell: UnsafeMutablePointer<S>, tanhCell: UnsafeMutablePointer<S>,
        next: UnsafeMutablePointer<S>, batch: Int, hidden h: Int, stateStride: Int, gateStride: Int,
        vectorKernels: Bool = VectorKernels.enabled
    ) {
        if S.self == Float.self, vectorKernels {  // the same passes fused, 16 lanes wide
            for b in 0..<batch {
                let row = b * stateStride
                ck_lstm_forward_row(
                    h, floatView(gates + b * gateStride), floatView(bias), floatView(previousCell + row),
                    floatView(nextCell + row), floatView(tanhCell + row), floatView(next + row))
            }
            return
        }
        // Short passes over few pointers: each one vectorises (one long loop over eleven
        // pointers does not, as the compiler gives up on its aliasing checks).
        for b in 0..<batch {
            let z = gates + b * gateStride
            let c0 = previousCell + b * stateStride, c1 = nextCell + b * stateStride
            let tc = tanhCell + b * stateStride, out = next + b * stateStride
            for j in 0..<(4 * h) { z[j] = z[j] + bias[j] }
            S.logistic(z, count: 2 * h)
            S.hyperbolicTangent(z + 2 * h, into: z + 2 * h, count: h)
            S.logistic(z + 3 * h, count: h)
            for j in 0..<h { c1[j] = z[h + j] * c0[j] + z[j] * z[2 * h + j] }
            S.hyperbolicTangent(c1, into: tc, count: h)
            for j in 0..<h { out[j] = z[3 * h + j] * tc[j] }
        }
    }

    /// On entry `hiddenGradient`/`cellGradient` hold the gradient carried from the next step; on
    /// exit `cellGradient` holds dL/dc for the previous step and `gateGradients` the pre-activation
    /// gradients (the caller turns them into dL/dh of the previous step).
    @inline(__always)
    static func backward<S: ModelScalar>(
        outputGradient: UnsafePointer<S>, hiddenGradient: UnsafePointer<S>,
        cellGradient: UnsafeMutablePointer<S>, gates: UnsafePointer<S>,
        previousCell: UnsafePointer<S>, tanhCell: UnsafePointer<S>,
        gateGradients: UnsafeMutablePointer<S>, batch: Int, hidden h: Int, stateStride: Int, gateStride: Int,
        vectorKernels: Bool = VectorKernels.enabled
    ) {
        if S.self == Float.self, vectorKernels {  // the same loops fused, 16 lanes wide
            for b in 0..<batch {
                let row = b * stateStride
                ck_lstm_backward_row(
                    h, floatView(outputGradient + row), floatView(hiddenGradient + row),
                    floatView(cellGradient + row), floatView(gates + b * gateStride), floatView(previousCell + row),
                    floatView(tanhCell + row), floatView(gateGradients + b * gateStride))
            }
            return
        }
        // Short passes over few pointers, so that each vectorises (as in forward).
        for b in 0..<batch {
            let gi = gates + b * gateStride, gf = gi + h, gg = gf + h, go = gg + h
            let di = gateGradients + b * gateStride, df = di + h, dg = df + h, dout = dg + h
            let dhOut = outputGradient + b * stateStride, dhCarried = hiddenGradient + b * stateStride
            let dc = cellGradient + b * stateStride
            let c0 = previousCell + b * stateStride, tc = tanhCell + b * stateStride
            for j in 0..<h {
                let dh = dhOut[j] + dhCarried[j], o = go[j], t = tc[j]
                dc[j] = dc[j] + dh * o * (1 - t * t)
                dout[j] = dh * t * o * (1 - o)
            }
            for j in 0..<h {
                let i = gi[j], g = gg[j]
                di[j] = dc[j] * g * i * (1 - i)
                dg[j] = dc[j] * i * (1 - g * g)
            }
            for j in 0..<h {
                let f = gf[j]
                df[j] = dc[j] * c0[j] * f * (1 - f)
                dc[j] = dc[j] * f
            }
        }
    }
}
