/// The GRU cell with PyTorch's gate order r, z, n:
/// r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z = sigmoid(W_iz x + b_iz + W_hz h + b_hz),
/// n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.
enum GRUCell {
    /// `inputGates` ([B, 3H], W_ih x) is overwritten with r, z, n; `recurrentGates` ([B, 3H],
    /// W_hh h) gets its biases added, so its n block keeps W_hn h + b_hn for backward. Rows of
    /// the hidden states are `stateStride` apart, rows of the gates `gateStride` apart.
    @inline(__always)
    static func forward<S: ModelScalar>(
        inputGates: UnsafeMutablePointer<S>, recurrentGates: UnsafeMutablePointer<S>,
        biasIH: UnsafePointer<S>, biasHH: UnsafePointer<S>, previous: UnsafePointer<S>,
        next: UnsafeMutablePointer<S>, batch: Int, hidden h: Int, stateStride: Int, gateStride: Int
    ) {
        // Short passes over few pointers, so that each vectorises.
        for b in 0..<batch {
            let x = inputGates + b * gateStride, hh = recurrentGates + b * gateStride
            let h0 = previous + b * stateStride, out = next + b * stateStride
            for j in 0..<(2 * h) { x[j] = x[j] + biasIH[j] + hh[j] + biasHH[j] }
            S.logistic(x, count: 2 * h)
            for j in (2 * h)..<(3 * h) { hh[j] = hh[j] + biasHH[j] }
            for j in 0..<h { x[2 * h + j] = x[2 * h + j] + biasIH[2 * h + j] + x[j] * hh[2 * h + j] }
            S.hyperbolicTangent(x + 2 * h, into: x + 2 * h, count: h)
            for j in 0..<h {
                let z = x[h + j]
                out[j] = (1 - z) * x[2 * h + j] + z * h0[j]
            }
        }
    }

    /// On entry `hiddenGradient` holds dL/dh' carried from the next step; on exit it holds the
    /// direct part z * dh of dL/dh (the caller adds the recurrent product). The input side and the
    /// recurrent side get their own pre-activation gradients, which differ in the n block.
    @inline(__always)
    static func backward<S: ModelScalar>(
        outputGradient: UnsafePointer<S>, hiddenGradient: UnsafeMutablePointer<S>,
        gates: UnsafePointer<S>, recurrentGates: UnsafePointer<S>, previous: UnsafePointer<S>,
        inputGateGradients: UnsafeMutablePointer<S>, recurrentGateGradients: UnsafeMutablePointer<S>,
        batch: Int, hidden h: Int, stateStride: Int, gateStride: Int
    ) {
        // Short passes over few pointers, so that each vectorises.
        for b in 0..<batch {
            let gr = gates + b * gateStride, gz = gr + h, gn = gz + h
            let recurrentN = recurrentGates + b * gateStride + 2 * h
            let dxr = inputGateGradients + b * gateStride, dxz = dxr + h, dxn = dxz + h
            let dhr = recurrentGateGradients + b * gateStride, dhz = dhr + h, dhn = dhz + h
            let dhOut = outputGradient + b * stateStride, dh = hiddenGradient + b * stateStride
            let h0 = previous + b * stateStride
            for j in 0..<h { dh[j] = dhOut[j] + dh[j] }
            for j in 0..<h {
                let z = gz[j], n = gn[j]
                dxn[j] = dh[j] * (1 - z) * (1 - n * n)
            }
            for j in 0..<h {
                let z = gz[j], dzPre = dh[j] * (h0[j] - gn[j]) * z * (1 - z)
                dxz[j] = dzPre
                dhz[j] = dzPre
            }
            for j in 0..<h {
                let r = gr[j], dnPre = dxn[j]
                let drPre = dnPre * recurrentN[j] * r * (1 - r)
                dxr[j] = drPre
                dhr[j] = drPre
                dhn[j] = dnPre * r
            }
            for j in 0..<h { dh[j] = dh[j] * gz[j] }
        }
    }
}
