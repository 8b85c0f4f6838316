import LiTSNet

/// Test-time augmentation of `lits predict --tta` (nnU-Net predicts with mirroring by default):
/// each batch of windows also goes through the network flipped along every combination of the
/// three spatial axes, each output is flipped back, and the eight are averaged. A network trained
/// with mirroring (`--augment default`) takes every flip as one more plausible case, and the
/// average evens out errors that depend on orientation. Eight times the network's work.
public enum TestTimeAugmentation: String, Codable, CaseIterable, Sendable {
    case none
    case mirror

    /// The network's output for `x` (N, C, D, H, W), averaged over the flips when mirroring.
    public func apply(_ x: Tensor, model: (Tensor) -> Tensor) -> Tensor {
        guard self == .mirror else { return model(x) }
        var sum: Tensor?
        for flips in 0..<8 {
            let (d, h, w) = (flips & 4 != 0, flips & 2 != 0, flips & 1 != 0)
            let y = model(x.flippedSpatially(d: d, h: h, w: w)).flippedSpatially(d: d, h: h, w: w)
            if sum == nil { sum = y } else { for n in y.data.indices { sum!.data[n] += y.data[n] } }
        }
        var mean = sum!
        for n in mean.data.indices { mean.data[n] /= 8 }
        return mean
    }
}

extension Tensor {
    /// A (N, C, D, H, W) tensor reversed along the chosen spatial axes.
    func flippedSpatially(d: Bool, h: Bool, w: Bool) -> Tensor {
        guard d || h || w else { return self }
        precondition(shape.count == 5, "expected (N, C, D, H, W), got \(shape)")
        let (nd, nh, nw) = (shape[2], shape[3], shape[4])
        let volume = nd * nh * nw
        var out = Tensor(shape: shape)
        for v in 0..<(shape[0] * shape[1]) {
            let base = v * volume
            for k in 0..<nd {
                let sk = d ? nd - 1 - k : k
                for j in 0..<nh {
                    let sj = h ? nh - 1 - j : j
                    let row = base + (k * nh + j) * nw, source = base + (sk * nh + sj) * nw
                    for i in 0..<nw { out.data[row + i] = data[source + (w ? nw - 1 - i : i)] }
                }
            }
        }
        return out
    }
}
