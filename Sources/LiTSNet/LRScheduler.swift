import Foundation

// The learning-rate schedule: ReduceLROnPlateau, as Keras's callback, lowering an `Optimizer`'s
// rate when the monitored metric stops improving. Its counters save as checkpoint metadata
// strings; the rate itself is part of the optimizer's state (Optimizers.swift).

/// Keras's `ReduceLROnPlateau` callback driving an optimizer's learning rate. Call `step` once
/// per epoch with the monitored value; it returns true when it reduced the rate. Per call:
///
///     if in cooldown: cooldown_counter -= 1; wait = 0
///     if improved (max: metric > best + min_delta; min: metric < best - min_delta):
///         best = metric; wait = 0
///     elif not in cooldown:
///         wait += 1
///         if wait >= patience and lr > min_lr:
///             lr = max(lr * factor, min_lr); cooldown_counter = cooldown; wait = 0
///
/// (As Keras, "in cooldown" is re-checked after the decrement, and `wait` stays at patience
/// when lr is already at min_lr.) A NaN metric never counts as an improvement.
public final class ReduceLROnPlateau {
    public enum Mode: String, Sendable { case min, max }

    public let optimizer: any Optimizer
    public let mode: Mode
    public let factor: Double
    public let patience: Int
    public let minDelta: Double
    public let cooldown: Int
    public let minLR: Double
    public private(set) var best: Double
    public private(set) var wait = 0
    public private(set) var cooldownCounter = 0

    /// Keras's defaults except `mode`, which is `.max` here (Dice is monitored).
    public init(optimizer: any Optimizer, mode: Mode = .max, factor: Double = 0.1, patience: Int = 10,
                minDelta: Double = 1e-4, cooldown: Int = 0, minLR: Double = 0) {
        precondition(factor < 1, "ReduceLROnPlateau does not support a factor >= 1.0")
        precondition(patience >= 0 && cooldown >= 0, "patience and cooldown must be >= 0")
        self.optimizer = optimizer
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.minDelta = minDelta
        self.cooldown = cooldown
        self.minLR = minLR
        best = mode == .max ? -.infinity : .infinity
    }

    public var inCooldown: Bool { cooldownCounter > 0 }

    @discardableResult
    public func step(_ metric: Double) -> Bool {
        if inCooldown {
            cooldownCounter -= 1
            wait = 0
        }
        let improved = mode == .max ? metric > best + minDelta : metric < best - minDelta
        if improved {
            best = metric
            wait = 0
        } else if !inCooldown {
            wait += 1
            if wait >= patience {
                // As Keras: the float32 rate against float32(min_lr), the product in double.
                let old = Double(optimizer.learningRate)
                if old > Double(Float(minLR)) {
                    optimizer.learningRate = Float(max(old * factor, minLR))
                    cooldownCounter = cooldown
                    wait = 0
                    return true
                }
            }
        }
        return false
    }

    /// The scheduler's counters as strings (exact for Double `best`), for a checkpoint's
    /// metadata. The learning rate itself lives in the optimizer's state.
    public func stateMetadata() -> [String: String] {
        ["reduce_lr.best": "\(best)", "reduce_lr.wait": "\(wait)", "reduce_lr.cooldown_counter": "\(cooldownCounter)"]
    }

    public func load(stateMetadata m: [String: String]) throws {
        guard let b = m["reduce_lr.best"].flatMap(Double.init), let w = m["reduce_lr.wait"].flatMap(Int.init),
              let c = m["reduce_lr.cooldown_counter"].flatMap(Int.init) else {
            throw CheckpointError(path: nil, "ReduceLROnPlateau state: missing or unreadable reduce_lr.best, reduce_lr.wait or reduce_lr.cooldown_counter")
        }
        best = b
        wait = w
        cooldownCounter = c
    }
}
