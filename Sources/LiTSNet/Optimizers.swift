import Foundation

// Optimizers: Adam and SGD as torch.optim computes them, their state as named tensors for a
// resumable run. The learning-rate schedule that drives them is in LRScheduler.swift.

/// Updates a list of parameters from their gradients. State (moments, step count, learning
/// rate) is kept per parameter, in the order of `parameters`, and saves as named tensors
/// ("step", "lr", "state.<index>.<name>") so a run can resume.
public protocol Optimizer: AnyObject {
    var parameters: [Parameter] { get }
    var learningRate: Float { get set }
    /// One update from the current gradients (gradients are not cleared).
    func step()
    func stateDict() -> [String: Tensor]
    func load(stateDict: [String: Tensor]) throws
}

extension Optimizer {
    public func zeroGrad() { for p in parameters { p.zeroGrad() } }
}

/// How weight decay enters an update.
public enum WeightDecay: Sendable, Equatable {
    case none
    /// torch.optim.Adam / SGD's `weight_decay`: an L2 term added to the gradient, g += wd * p.
    case l2(Float)
    /// AdamW's decoupled decay: p *= 1 - lr * wd before the Adam step (torch.optim.AdamW).
    case decoupled(Float)
}

/// Adam as torch.optim.Adam (amsgrad off, maximize off):
///
///     g = grad (+ wd * p for .l2)             p *= 1 - lr * wd   (for .decoupled, i.e. AdamW)
///     m = beta1 * m + (1 - beta1) * g
///     v = beta2 * v + (1 - beta2) * g^2
///     p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
///
/// The default eps is PyTorch's 1e-8. `Adam.keras(...)` gives Keras's Adam: eps 1e-7 and eps
/// added to sqrt(v) before the bias correction, p -= lr * sqrt(1 - beta2^t) / (1 - beta1^t) *
/// m / (sqrt(v) + eps). The two differ only while v is tiny.
public final class Adam: Optimizer {
    public enum EpsilonPlacement: Sendable { case pytorch, keras }

    public let parameters: [Parameter]
    public var learningRate: Float
    public let beta1: Float, beta2: Float, eps: Float
    public let weightDecay: WeightDecay
    public let epsilonPlacement: EpsilonPlacement
    public private(set) var stepCount = 0
    public private(set) var expAvg: [Tensor]
    public private(set) var expAvgSq: [Tensor]

    public init(parameters: [Parameter], lr: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                eps: Float = 1e-8, weightDecay: WeightDecay = .none, epsilonPlacement: EpsilonPlacement = .pytorch) {
        self.parameters = parameters
        learningRate = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        self.epsilonPlacement = epsilonPlacement
        expAvg = parameters.map { Tensor(shape: $0.value.shape) }
        expAvgSq = parameters.map { Tensor(shape: $0.value.shape) }
    }

    /// Keras's Adam defaults: eps 1e-7 with Keras's placement.
    public static func keras(parameters: [Parameter], lr: Float = 1e-3) -> Adam {
        Adam(parameters: parameters, lr: lr, eps: 1e-7, epsilonPlacement: .keras)
    }

    public func step() {
        stepCount += 1
        let t = Double(stepCount)
        let bc1 = 1 - pow(Double(beta1), t), bc2 = 1 - pow(Double(beta2), t)
        let lr = learningRate, b1 = beta1, b2 = beta2, eps = eps
        // pytorch: p -= stepSize * m / (sqrt(v) / bc2Sqrt + eps)
        // keras:   p -= stepSize * bc2Sqrt * m / (sqrt(v) + eps)
        let stepSize = Float(Double(lr) / bc1)
        let bc2Sqrt = Float(bc2.squareRoot())
        for (k, p) in parameters.enumerated() {
            p.value.data.withUnsafeMutableBufferPointer { x in
                p.grad.data.withUnsafeBufferPointer { g in
                    expAvg[k].data.withUnsafeMutableBufferPointer { m in
                        expAvgSq[k].data.withUnsafeMutableBufferPointer { v in
                            for i in 0..<x.count {
                                var gi = g[i]
                                switch weightDecay {
                                case .none: break
                                case .l2(let wd): gi += wd * x[i]
                                case .decoupled(let wd): x[i] *= 1 - lr * wd
                                }
                                m[i] += (1 - b1) * (gi - m[i])
                                v[i] = v[i] * b2 + (1 - b2) * gi * gi
                                switch epsilonPlacement {
                                case .pytorch: x[i] -= stepSize * m[i] / (v[i].squareRoot() / bc2Sqrt + eps)
                                case .keras: x[i] -= stepSize * bc2Sqrt * m[i] / (v[i].squareRoot() + eps)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public func stateDict() -> [String: Tensor] {
        var out: [String: Tensor] = ["step": scalarTensor(Float(stepCount)), "lr": scalarTensor(learningRate)]
        for k in parameters.indices {
            out["state.\(k).exp_avg"] = expAvg[k]
            out["state.\(k).exp_avg_sq"] = expAvgSq[k]
        }
        return out
    }

    public func load(stateDict: [String: Tensor]) throws {
        var names = ["step", "lr"]
        for k in parameters.indices { names += ["state.\(k).exp_avg", "state.\(k).exp_avg_sq"] }
        try checkOptimizerState(stateDict, expected: names, what: "Adam")
        var m = [Tensor](), v = [Tensor]()
        for (k, p) in parameters.enumerated() {
            m.append(try stateTensor(stateDict, "state.\(k).exp_avg", shape: p.value.shape))
            v.append(try stateTensor(stateDict, "state.\(k).exp_avg_sq", shape: p.value.shape))
        }
        stepCount = try stepValue(stateDict)
        learningRate = try stateTensor(stateDict, "lr", shape: []).data[0]
        expAvg = m
        expAvgSq = v
    }
}

/// SGD with momentum as torch.optim.SGD (maximize off):
///
///     g = grad + wd * p                       (weight_decay, L2 as torch)
///     buf = g on the first step, else buf = momentum * buf + (1 - dampening) * g
///     g = g + momentum * buf (nesterov) or g = buf
///     p -= lr * g
public final class SGD: Optimizer {
    public let parameters: [Parameter]
    public var learningRate: Float
    public let momentum: Float, dampening: Float, weightDecay: Float
    public let nesterov: Bool
    public private(set) var stepCount = 0
    /// Momentum buffers; empty until the first step (and always when momentum is 0).
    public private(set) var momentumBuffers: [Tensor] = []

    public init(parameters: [Parameter], lr: Float, momentum: Float = 0, dampening: Float = 0,
                weightDecay: Float = 0, nesterov: Bool = false) {
        precondition(!nesterov || (momentum > 0 && dampening == 0), "Nesterov momentum requires a momentum and zero dampening")
        self.parameters = parameters
        learningRate = lr
        self.momentum = momentum
        self.dampening = dampening
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    public func step() {
        let first = momentumBuffers.isEmpty
        if momentum != 0 && first { momentumBuffers = parameters.map { Tensor(shape: $0.value.shape) } }
        stepCount += 1
        let lr = learningRate, mu = momentum, damp = dampening, wd = weightDecay
        for (k, p) in parameters.enumerated() {
            p.value.data.withUnsafeMutableBufferPointer { x in
                p.grad.data.withUnsafeBufferPointer { g in
                    if mu == 0 {
                        for i in 0..<x.count { x[i] -= lr * (g[i] + wd * x[i]) }
                        return
                    }
                    momentumBuffers[k].data.withUnsafeMutableBufferPointer { buf in
                        for i in 0..<x.count {
                            var gi = g[i] + wd * x[i]
                            buf[i] = first ? gi : mu * buf[i] + (1 - damp) * gi
                            gi = nesterov ? gi + mu * buf[i] : buf[i]
                            x[i] -= lr * gi
                        }
                    }
                }
            }
        }
    }

    public func stateDict() -> [String: Tensor] {
        var out: [String: Tensor] = ["step": scalarTensor(Float(stepCount)), "lr": scalarTensor(learningRate)]
        for (k, b) in momentumBuffers.enumerated() { out["state.\(k).momentum_buffer"] = b }
        return out
    }

    public func load(stateDict: [String: Tensor]) throws {
        let hasBuffers = stateDict["state.0.momentum_buffer"] != nil
        var names = ["step", "lr"]
        if hasBuffers { for k in parameters.indices { names.append("state.\(k).momentum_buffer") } }
        try checkOptimizerState(stateDict, expected: names, what: "SGD")
        var bufs = [Tensor]()
        if hasBuffers {
            for (k, p) in parameters.enumerated() {
                bufs.append(try stateTensor(stateDict, "state.\(k).momentum_buffer", shape: p.value.shape))
            }
        }
        stepCount = try stepValue(stateDict)
        learningRate = try stateTensor(stateDict, "lr", shape: []).data[0]
        momentumBuffers = bufs
    }
}

// MARK: state helpers

func scalarTensor(_ v: Float) -> Tensor { Tensor(shape: [], data: [v]) }

func checkOptimizerState(_ state: [String: Tensor], expected: [String], what: String) throws {
    let want = Set(expected), have = Set(state.keys)
    let missing = want.subtracting(have).sorted(), unexpected = have.subtracting(want).sorted()
    guard missing.isEmpty && unexpected.isEmpty else {
        var parts = [String]()
        if !missing.isEmpty { parts.append("missing \(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? " (\(missing.count) in all)" : "")") }
        if !unexpected.isEmpty { parts.append("unexpected \(unexpected.prefix(5).joined(separator: ", "))\(unexpected.count > 5 ? " (\(unexpected.count) in all)" : "")") }
        throw CheckpointError(path: nil, "\(what) optimizer state does not match its parameters: \(parts.joined(separator: "; "))")
    }
}

func stateTensor(_ state: [String: Tensor], _ name: String, shape: [Int]) throws -> Tensor {
    guard let t = state[name] else { throw CheckpointError(path: nil, "optimizer state: missing \(name)") }
    // A scalar may arrive as [] or [1].
    guard t.shape == shape || (shape.isEmpty && t.count == 1) else {
        throw CheckpointError(path: nil, "optimizer state: \(name) has shape \(t.shape), the parameter needs \(shape)")
    }
    return Tensor(shape: shape, data: t.data)
}

func stepValue(_ state: [String: Tensor]) throws -> Int {
    let v = try stateTensor(state, "step", shape: []).data[0]
    guard v >= 0, v == v.rounded(), v < 16_777_216 else { throw CheckpointError(path: nil, "optimizer state: step \(v) is not a whole number in range") }
    return Int(v)
}
