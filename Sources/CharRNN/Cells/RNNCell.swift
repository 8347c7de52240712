/// The Elman cell: h' = tanh(W_ih x + b_ih + W_hh h + b_hh). One step over a batch, on contiguous
/// [B, H] blocks whose products with the weights are already done.
enum RNNCell {
    /// `gates` holds W_ih x + W_hh h for the step; writes h' into `next`. Rows of the gates are
    /// `gateStride` apart and rows of the states `stateStride` apart, so that a slice of the units
    /// can be computed on its own.
    @inline(__always)
    static func forward<S: ModelScalar>(
        gates: UnsafeMutablePointer<S>, bias: UnsafePointer<S>, next: UnsafeMutablePointer<S>,
        batch: Int, hidden h: Int, stateStride: Int, gateStride: Int
    ) {
        for b in 0..<batch {
            let z = gates + b * gateStride, out = next + b * stateStride
            for j in 0..<h { out[j] = z[j] + bias[j] }
            S.hyperbolicTangent(out, into: out, count: h)
        }
    }

    /// dz = (dL/dh' + carried dh) * (1 - h'^2). `hiddenGradient` holds the carried dh on entry.
    @inline(__always)
    static func backward<S: ModelScalar>(
        outputGradient: UnsafePointer<S>, hiddenGradient: UnsafePointer<S>, next: UnsafePointer<S>,
        gateGradients: UnsafeMutablePointer<S>, batch: Int, hidden h: Int, stateStride: Int, gateStride: Int
    ) {
        for b in 0..<batch {
            let dOut = outputGradient + b * stateStride, dCarried = hiddenGradient + b * stateStride
            let out = next + b * stateStride, dz = gateGradients + b * gateStride
            for j in 0..<h {
                let dh = dOut[j] + dCarried[j]
                dz[j] = dh * (1 - out[j] * out[j])
            }
        }
    }
}
